// A real OpenID provider for the browser tests: the OpenID-certified
// oidc-provider package (npm), on loopback, with one test client and test
// people, and a plain login page of its own. Started by tests/oidc/browser/idp.py.
//
// Environment: PORT, ISSUER (http://localhost:PORT), CLIENT_ID, CLIENT_SECRET,
// REDIRECT_URI, POST_LOGOUT_REDIRECT_URI.

import http from 'node:http';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const PASSWORD = 'losenord-hos-idp';
// Who may sign in at the provider. acr and amr say how: "two factors" people
// carry amr mfa and the higher acr, "one factor" people a password alone.
const PEOPLE = {
  tvafaktor: { sub: 'idp-2fa-0001', preferred_username: 'oidc-anna', acr: 'urn:gvi:test:loa2', amr: ['pwd', 'mfa'] },
  enfaktor: { sub: 'idp-1fa-0002', preferred_username: 'oidc-bertil', acr: 'urn:gvi:test:loa1', amr: ['pwd'] },
  okand: { sub: 'idp-unknown-0003', preferred_username: 'ingen-sadan', acr: 'urn:gvi:test:loa2', amr: ['pwd', 'mfa'] },
};
const BY_SUB = Object.fromEntries(Object.values(PEOPLE).map((p) => [p.sub, p]));

const provider = new Provider(env('ISSUER'), {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [env('REDIRECT_URI')],
    post_logout_redirect_uris: [env('POST_LOGOUT_REDIRECT_URI')],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  async findAccount(ctx, sub) {
    const person = BY_SUB[sub];
    if (!person) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, preferred_username: person.preferred_username };
      },
    };
  },
  claims: {
    // acr and amr with every ID token, as Entra ID sends amr.
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    profile: ['preferred_username'],
    sid: null,
  },
  // The profile claims in the ID token itself, as Entra ID and Keycloak do.
  conformIdTokenClaims: false,
  acrValues: ['urn:gvi:test:loa1', 'urn:gvi:test:loa2'],
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['gvi-test-provider-cookie-key'] },
  // A first-party client: no consent screen (the grant is made on first use).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
});

const page = (uid, error) => `<!doctype html><html lang="sv"><head><meta charset="utf-8">
<title>Test-IdP</title></head><body><h1>Test-IdP: logga in</h1>
${error ? `<p id="idp-error">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Användare <input id="idp-username" name="username" autocomplete="off"></label>
<label>Lösenord <input id="idp-password" name="password" type="password"></label>
<button id="idp-submit" type="submit">Logga in hos IdP</button></form></body></html>`;

const readForm = (req) => new Promise((resolve, reject) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => resolve(new URLSearchParams(body)));
  req.on('error', reject);
});

const callback = provider.callback();

async function handle(req, res) {
  const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== match[1]) throw new Error('interaction mismatch');
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(page(details.uid));
    }
    const form = await readForm(req);
    const person = PEOPLE[form.get('username')];
    if (!person || form.get('password') !== PASSWORD) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(page(details.uid, 'Fel användare eller lösenord'));
    }
    return provider.interactionFinished(req, res, {
      login: { accountId: person.sub, acr: person.acr, amr: person.amr },
    }, { mergeWithLastSubmission: false });
  } catch (err) {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    return res.end(String(err));
  }
}

const port = Number(env('PORT'));
// "localhost" is another site than the app's 127.0.0.1, as a real provider is:
// the app's SameSite=Strict session cookie is not sent on the way back.
for (const host of ['127.0.0.1', '::1']) {
  const server = http.createServer(handle);
  server.on('error', (err) => {
    if (host === '::1') return; // no IPv6 loopback here: 127.0.0.1 serves
    throw err;
  });
  server.listen(port, host, () => console.log(`listening ${host}:${port}`));
}
