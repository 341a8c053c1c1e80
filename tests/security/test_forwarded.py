"""`gvi serve` believes X-Forwarded-For only from GVI_TRUSTED_PROXIES (default:
nobody). A client on the same host sends a forged header from loopback: the
audit trail records the socket's address and the IP throttle counts it."""

from __future__ import annotations

import asyncio
import secrets

import requests

from gvi.audit.events import AuditAction
from gvi.audit.tables import AuditEvent
from tests.clients import PASSWORD, csrf_from
from tests.factories import make_user
from tests.servers import running_app


def _attempt(base: str, username: str, password: str, forged: str) -> requests.Response:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=10)
    return s.post(
        f"{base}/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        headers={"X-Forwarded-For": forged, "X-Real-IP": forged},
        allow_redirects=False,
        timeout=10,
    )


def _run_against_server(username: str, prefix: str) -> None:
    with running_app(via_cli=True) as base:
        r = _attempt(base, username, PASSWORD, "203.0.113.77")
        assert r.status_code == 303, r.text
        # 35 failures, each from another forged address, under other account names
        # (so no account lock): the 31st blocks the one real address.
        for i in range(35):
            _attempt(base, f"{prefix}{i}", "fel-lösenord", f"198.51.100.{i + 1}")


async def test_forged_forwarded_headers_from_loopback_are_ignored(db: None) -> None:
    username = f"fwd{secrets.token_hex(3)}"
    prefix = f"nobody{secrets.token_hex(3)}-"
    await make_user(username, "analyst")
    head = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    since = head["seq"] if head else 0
    await asyncio.to_thread(_run_against_server, username, prefix)

    login = (
        await AuditEvent.select(AuditEvent.ip)
        .where(
            (AuditEvent.action == str(AuditAction.auth_login))
            & (AuditEvent.actor_username == username)
        )
        .first()
    )
    assert login is not None
    assert login["ip"] == "127.0.0.1"
    failures = await AuditEvent.select(AuditEvent.ip, AuditEvent.details, AuditEvent.action).where(
        AuditEvent.action.is_in([str(AuditAction.auth_login_failed), str(AuditAction.auth_lockout)])
        & (AuditEvent.seq > since)
    )
    assert failures
    assert len(failures) >= 35
    assert {row["ip"] for row in failures} == {"127.0.0.1"}
    lockouts = [row for row in failures if row["action"] == str(AuditAction.auth_lockout)]
    assert lockouts, "35 failures from one address never blocked it"


def _attempt_through_trusted_proxy(username: str) -> None:
    with running_app({"GVI_TRUSTED_PROXIES": "127.0.0.1/32"}, via_cli=True) as base:
        r = _attempt(base, username, "fel-lösenord", "203.0.113.5")
        assert r.status_code == 400


async def test_a_configured_proxy_is_believed(db: None) -> None:
    username = f"proxied{secrets.token_hex(3)}"
    await make_user(username, "analyst")
    await asyncio.to_thread(_attempt_through_trusted_proxy, username)
    failed = (
        await AuditEvent.select(AuditEvent.ip)
        .where(
            (AuditEvent.action == str(AuditAction.auth_login_failed))
            & (AuditEvent.actor_username == username)
        )
        .first()
    )
    assert failed is not None
    assert failed["ip"] == "203.0.113.5"
