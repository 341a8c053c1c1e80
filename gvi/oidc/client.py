"""The OpenID Connect relying party: discovery, the authorization request (code
flow, PKCE S256, state, nonce), the code exchange, ID-token validation and the
end-session address.

authlib builds the protocol pieces (PKCE challenge, grant URI, tokens) and its
JOSE successor joserfc checks signatures and claims; httpx carries the calls.
No Litestar here: the controllers own the HTTP side (gvi/oidc/controllers.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import errors as jose_errors
from joserfc import jwt
from joserfc.jwk import KeySet

# Asymmetric signatures only: never "none", and never HS* (the client secret is
# shared with the provider's whole tenant administration, not a signing key).
ALLOWED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
)
# Clock skew between the provider and this server (OIDC Core 3.1.3.7 allows "a few minutes").
LEEWAY_SECONDS = 60
# The discovery document and the JWKS are re-read this often; the JWKS also on
# an unknown key id.
METADATA_TTL_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10.0
# A sign-in must come back from the provider within this many seconds.
PENDING_SECONDS = 600


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered something that is not OIDC."""


class TokenRejected(Exception):
    """The ID token (or the code exchange) failed a check. ``reason`` is a short
    machine token for the audit trail, never the token's content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True)
class PendingLogin:
    """What the pre-login session keeps between the redirect and the callback."""

    state: str
    nonce: str
    code_verifier: str
    started_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "started_at": self.started_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingLogin:
        return cls(
            state=str(data["state"]),
            nonce=str(data["nonce"]),
            code_verifier=str(data["code_verifier"]),
            started_at=float(data["started_at"]),
        )


@dataclass
class OidcClient:
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    _metadata: Metadata | None = field(default=None, repr=False)
    _metadata_at: float = 0.0
    _keys: KeySet | None = field(default=None, repr=False)
    _keys_at: float = 0.0

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
                response = await http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise ProviderUnavailable(f"status {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise ProviderUnavailable("not json") from exc
        if not isinstance(data, dict):
            raise ProviderUnavailable("not an object")
        return data

    async def metadata(self) -> Metadata:
        """The provider's discovery document, cached for an hour."""
        if self._metadata is not None and time.time() - self._metadata_at < METADATA_TTL_SECONDS:
            return self._metadata
        doc = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        # OIDC Discovery 4.3: the document must name the issuer it was fetched for,
        # or a look-alike could hand out another issuer's keys.
        if doc.get("issuer", "").rstrip("/") != self.issuer.rstrip("/"):
            raise ProviderUnavailable("issuer mismatch")
        try:
            meta = Metadata(
                issuer=str(doc["issuer"]),
                authorization_endpoint=str(doc["authorization_endpoint"]),
                token_endpoint=str(doc["token_endpoint"]),
                jwks_uri=str(doc["jwks_uri"]),
                end_session_endpoint=doc.get("end_session_endpoint"),
            )
        except KeyError as exc:
            raise ProviderUnavailable("incomplete discovery document") from exc
        self._metadata, self._metadata_at = meta, time.time()
        return meta

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        # Re-read hourly too, so a key the provider withdrew stops being trusted.
        stale = time.time() - self._keys_at >= METADATA_TTL_SECONDS
        if self._keys is None or refresh or stale:
            meta = await self.metadata()
            raw = await self._get_json(meta.jwks_uri)
            try:
                self._keys = KeySet.import_key_set(raw)  # type: ignore[arg-type]
            except (jose_errors.JoseError, ValueError, KeyError, TypeError) as exc:
                raise ProviderUnavailable("unreadable jwks") from exc
            self._keys_at = time.time()
        return self._keys

    async def authorization_request(self, redirect_uri: str) -> tuple[str, PendingLogin]:
        """The address to send the browser to, and what to keep until it returns."""
        meta = await self.metadata()
        pending = PendingLogin(
            state=generate_token(43),
            nonce=generate_token(43),
            code_verifier=generate_token(64),
            started_at=time.time(),
        )
        url = prepare_grant_uri(
            meta.authorization_endpoint,
            client_id=self.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join(self.scopes),
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier),
            code_challenge_method="S256",
        )
        return str(url), pending

    async def exchange_code(
        self, code: str, pending: PendingLogin, redirect_uri: str
    ) -> dict[str, Any]:
        """The token endpoint's answer for *code* (client_secret_basic, PKCE verifier)."""
        meta = await self.metadata()
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
                response = await http.post(
                    meta.token_endpoint,
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": redirect_uri,
                        "code_verifier": pending.code_verifier,
                    },
                    auth=(self.client_id, self.client_secret),
                    headers={"Accept": "application/json"},
                )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(f"status {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderUnavailable("not json") from exc
        if response.status_code != 200 or not isinstance(body, dict):
            # invalid_grant: a spent, expired or foreign code, or a wrong verifier.
            error = str(body.get("error", "")) if isinstance(body, dict) else ""
            # The provider's words go to the audit trail only as a short token.
            token = "".join(c for c in error.lower() if c.isascii() and (c.isalnum() or c == "_"))
            raise TokenRejected(f"token_endpoint_{token or response.status_code}"[:40])
        if not isinstance(body.get("id_token"), str):
            raise TokenRejected("no_id_token")
        return body

    async def validate_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once signature, algorithm, issuer, audience, times
        and nonce have all passed (OIDC Core 3.1.3.7). A key id the cached JWKS does
        not know makes one refetch: that is how a provider rotates its keys."""
        header = _header(id_token)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise TokenRejected("algorithm")
        kid = header.get("kid")
        keys = await self._key_set()
        if kid is not None and not _has_kid(keys, str(kid)):
            # Tokens reach this point only from the token endpoint's answer (TLS,
            # client authentication), so an unknown kid is the provider's own:
            # refetching once per attempt cannot be driven by an outsider.
            keys = await self._key_set(refresh=True)
            if not _has_kid(keys, str(kid)):
                raise TokenRejected("unknown_key")
        try:
            token = jwt.decode(id_token, keys, algorithms=list(ALLOWED_ALGORITHMS))
        except jose_errors.BadSignatureError as exc:
            raise TokenRejected("signature") from exc
        except (jose_errors.JoseError, ValueError) as exc:
            raise TokenRejected("malformed") from exc
        claims: dict[str, Any] = dict(token.claims)
        meta = await self.metadata()
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            # As the discovery document spells it (checked against the setting there).
            iss={"essential": True, "value": meta.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except jose_errors.ExpiredTokenError as exc:
            raise TokenRejected("expired") from exc
        except jose_errors.MissingClaimError as exc:
            raise TokenRejected("missing_claim") from exc
        except jose_errors.InvalidClaimError as exc:
            raise TokenRejected(f"claim_{exc.claim}"[:32]) from exc
        except jose_errors.JoseError as exc:
            raise TokenRejected("claims") from exc
        now = time.time()
        if float(claims["iat"]) > now + LEEWAY_SECONDS:
            raise TokenRejected("claim_iat")
        aud = claims["aud"]
        # Several audiences: the authorized party must be this client (OIDC Core 3.1.3.7 #4-5).
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.client_id:
            raise TokenRejected("claim_azp")
        if not claims["sub"]:
            raise TokenRejected("claim_sub")
        return claims

    async def end_session_url(
        self, id_token: str | None, post_logout_redirect_uri: str
    ) -> str | None:
        """Where to send the browser to end the provider's session, or None when
        the provider has no end-session endpoint."""
        meta = await self.metadata()
        if not meta.end_session_endpoint:
            return None
        params = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            params["id_token_hint"] = id_token
        sep = "&" if "?" in meta.end_session_endpoint else "?"
        return f"{meta.end_session_endpoint}{sep}{urlencode(params)}"


def _header(token: str) -> dict[str, Any]:
    import base64

    try:
        head = token.split(".")[0]
        data = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, IndexError) as exc:
        raise TokenRejected("malformed") from exc
    if not isinstance(data, dict):
        raise TokenRejected("malformed")
    return data


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


_clients: dict[tuple[str, str, str, tuple[str, ...]], OidcClient] = {}


def client_for(
    issuer: str, client_id: str, client_secret: str, scopes: tuple[str, ...]
) -> OidcClient:
    """One client per configuration in this process, so discovery and keys are cached."""
    key = (issuer, client_id, client_secret, scopes)
    if key not in _clients:
        _clients[key] = OidcClient(
            issuer=issuer, client_id=client_id, client_secret=client_secret, scopes=scopes
        )
    return _clients[key]
