"""A tiny OpenID provider on loopback for the validation tests: discovery, a
JWKS and a token endpoint that answers with an ID token the test crafted and
signed with a test key. The app's real client and validation code talk to it
over HTTP; nothing of authlib or joserfc is replaced.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "gvi-test"
CLIENT_SECRET = "gvi-test-secret"


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


@dataclass
class FakeProvider:
    issuer: str = ""
    keys: list[RSAKey] = field(default_factory=lambda: [new_key("k1")])
    # What the token endpoint answers next (a test sets it before the callback).
    next_id_token: str = ""
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    jwks_fetches: int = 0

    def jwks(self) -> dict[str, Any]:
        return KeySet(list(self.keys)).as_dict(private=False)

    def sign(self, claims: dict[str, Any], *, key: RSAKey | None = None, alg: str = "RS256") -> str:
        key = key or self.keys[-1]
        header = {"alg": alg, "kid": key.kid}
        return jwt.encode(header, claims, key, algorithms=[alg])

    def claims(self, nonce: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        base: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "sub-1",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "preferred_username": "anna",
        }
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not None}


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._json(
                    {
                        "issuer": provider.issuer,
                        "authorization_endpoint": f"{provider.issuer}/auth",
                        "token_endpoint": f"{provider.issuer}/token",
                        "jwks_uri": f"{provider.issuer}/jwks",
                        "end_session_endpoint": f"{provider.issuer}/session/end",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                )
            elif self.path == "/jwks":
                provider.jwks_fetches += 1
                self._json(provider.jwks())
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            auth = self.headers.get("Authorization", "")
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.path != "/token":
                self._json({"error": "not_found"}, 404)
            elif auth != f"Basic {expected}":
                self._json({"error": "invalid_client"}, 401)
            else:
                provider.token_requests.append(form)
                self._json(
                    {
                        "access_token": "at",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.next_id_token,
                    }
                )

    return Handler


@contextmanager
def running_fake_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
