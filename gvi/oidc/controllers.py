"""Sign-in through the organisation's identity provider: the redirect there, the
callback, and the end of the provider's session at sign-out.

The session cookie is SameSite=Strict, so a browser arriving from the provider
(another site) does not send it; the callback then answers with a page that
reloads the same address from this site, which does carry it.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template
from markupsafe import escape

from gvi.access.permissions import Permission
from gvi.accounts import signin
from gvi.core.web import client_ip, page, redirect_with_flash, user_agent
from gvi.i18n import N_, gettext
from gvi.oidc import services
from gvi.oidc.client import (
    PENDING_SECONDS,
    OidcClient,
    PendingLogin,
    ProviderUnavailable,
    TokenRejected,
    client_for,
)
from gvi.security.sessions import get_session
from gvi.settings import Settings, get_settings

PUBLIC = {"permission": Permission.public}
CALLBACK_PATH = "/login/oidc/callback"

UNAVAILABLE = N_(
    "Identitetsleverantören svarar inte just nu, så inloggningen kunde inte göras. "
    "Försök igen om en stund. Om felet består, kontakta kommunens IT-support."
)
NOT_COMPLETED = N_(
    "Inloggningen kunde inte slutföras: svaret från identitetsleverantören var inte "
    "giltigt eller hade redan använts. Börja om från inloggningssidan."
)
PROVIDER_CANCELLED = N_(
    "Identitetsleverantören avbröt inloggningen. Börja om från inloggningssidan."
)


def _client(settings: Settings) -> OidcClient:
    return client_for(
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
        settings.oidc_scopes,
    )


def _site(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def redirect_uri(request: Request[Any, Any, Any], settings: Settings) -> str:
    return settings.oidc_redirect_uri or f"{_site(request)}{CALLBACK_PATH}"


def _problem(request: Request[Any, Any, Any], message: str, status_code: int) -> Template:
    return page(
        request,
        "oidc/problem.html",
        {"title": gettext("Inloggningen misslyckades"), "message": gettext(message)},
        status_code=status_code,
    )


def _client_info(request: Request[Any, Any, Any]) -> services.Client:
    return services.Client(ip=client_ip(request), user_agent=user_agent(request))


@get("/login/oidc", opt=PUBLIC, name="oidc.start", include_in_schema=False)
async def start_oidc_login(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Send the browser to the provider, keeping state, nonce and PKCE verifier here."""
    settings = get_settings()
    if not settings.oidc_enabled:
        return Redirect(path="/login", status_code=303)
    try:
        url, pending = await _client(settings).authorization_request(
            redirect_uri(request, settings)
        )
    except ProviderUnavailable:
        # Nothing is written to the session: no session is started.
        return _problem(request, UNAVAILABLE, 503)
    get_session(request)["oidc_pending"] = pending.as_dict()
    return Redirect(path=url, status_code=303)


def _bounce(request: Request[Any, Any, Any]) -> Response[str]:
    """Reload the callback from this site so the Strict session cookie comes along.
    Plain HTML that touches no session: a Set-Cookie here would replace the
    browser's pre-login session."""
    params = dict(request.query_params)
    params["bounced"] = "1"
    target = f"{CALLBACK_PATH}?{urlencode(params)}"
    title = escape(gettext("Loggar in …"))
    link = escape(gettext("Fortsätt"))
    html = (
        '<!doctype html><html lang="sv"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        f'<meta http-equiv="refresh" content="0;url={escape(target)}">'
        f"<title>{title}</title></head>"
        f'<body><main><p><a href="{escape(target)}">{link}</a></p></main></body></html>'
    )
    return Response(content=html, media_type="text/html", headers={"Cache-Control": "no-store"})


@get(CALLBACK_PATH, opt=PUBLIC, name="oidc.callback", include_in_schema=False)
async def oidc_callback(
    request: Request[Any, Any, Any],
    code: FromQuery[str] = "",
    # "state" is a name Litestar keeps for the application state.
    answered_state: Annotated[str, QueryParameter(name="state")] = "",
    error: FromQuery[str] = "",
    bounced: FromQuery[str] = "",
) -> Template | Redirect | Response[str]:
    """The provider's answer: check state, exchange the code, validate the ID
    token, find the linked account, then sign in as a password would."""
    settings = get_settings()
    if not settings.oidc_enabled:
        return Redirect(path="/login", status_code=303)
    session = get_session(request)
    if session.get("oidc_pending") is None and not bounced:
        return _bounce(request)
    # Single use, whatever happens next: a replayed answer finds nothing.
    raw = session.pop("oidc_pending", None)
    client = _client_info(request)
    pending = PendingLogin.from_dict(raw) if isinstance(raw, dict) else None
    if (
        pending is None
        or not answered_state
        or not secrets.compare_digest(answered_state, pending.state)
    ):
        await services.record_failure(client, "state")
        return _problem(request, NOT_COMPLETED, 400)
    if time.time() - pending.started_at > PENDING_SECONDS:
        await services.record_failure(client, "state_expired")
        return _problem(request, NOT_COMPLETED, 400)
    if error or not code:
        await services.record_failure(client, "provider_error")
        return _problem(request, PROVIDER_CANCELLED, 400)
    oidc = _client(settings)
    try:
        tokens = await oidc.exchange_code(code, pending, redirect_uri(request, settings))
        id_token = str(tokens["id_token"])
        claims = await oidc.validate_id_token(id_token, pending.nonce)
        issuer = (await oidc.metadata()).issuer
    except ProviderUnavailable:
        return _problem(request, UNAVAILABLE, 503)
    except TokenRejected as exc:
        await services.record_failure(client, f"token_{exc.reason}"[:48])
        return _problem(request, NOT_COMPLETED, 400)
    try:
        user = await services.account_for(
            claims, issuer=issuer, account_claim=settings.oidc_account_claim, client=client
        )
    except services.Refused:
        return _problem(request, services.NO_ACCOUNT, 403)
    two_factors = services.two_factors_asserted(
        claims, acr_values=settings.oidc_two_factor_acr, amr_values=settings.oidc_two_factor_amr
    )
    needs_totp = await signin.provider_login(
        request, user, two_factors=two_factors, id_token=id_token
    )
    if needs_totp:
        return Redirect(path="/login/totp", status_code=303)
    return redirect_with_flash(request, "/", gettext("Du är inloggad."))


async def end_session_page(request: Request[Any, Any, Any], id_token: str) -> Template | None:
    """After the local session has ended: a page that sends the browser on to the
    provider's end-session endpoint (a redirect would break the form's CSP
    form-action 'self'), or None when there is nowhere to go."""
    settings = get_settings()
    if not settings.oidc_enabled:
        return None
    back = settings.oidc_post_logout_redirect_uri or f"{_site(request)}/login"
    try:
        url = await _client(settings).end_session_url(id_token, back)
    except ProviderUnavailable:
        get_session(request).flash(
            gettext(
                "Du är utloggad här. Identitetsleverantören svarade inte; stäng webbläsaren "
                "för att avsluta inloggningen även där."
            ),
            "info",
        )
        return None
    if url is None:
        return None
    return page(request, "oidc/signed_out.html", {"end_session_url": url})


OIDC_ROUTES = [start_oidc_login, oidc_callback]
