"""Issue 21, part 2: the daily digest, received by a real SMTP server on loopback
(aiosmtpd): counts and absolute links only, never a person code, name or title;
an opted-out user gets none; every mail sent leaves an audit row without content."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar

from gvi.accounts.tables import User
from gvi.audit.tables import AuditEvent
from gvi.notify.services import send_daily_digest
from gvi.settings import Settings, get_settings
from tests.clients import signed_in, token
from tests.factories import audit_mark
from tests.notify.world import CALLIN_TITLE, TASK_TITLE, build_count_world


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))  # type: ignore[attr-defined]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, Settings]]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings = dataclasses.replace(
        get_settings(),
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_starttls=False,
        smtp_from="gvi@kommun.example",
        public_host="gvi.kommun.example",
        secure_cookies=True,
    )
    try:
        yield handler, settings
    finally:
        controller.stop()


def _body(message: Message) -> str:
    parts = [p.get_payload(decode=True) for p in message.walk() if not p.is_multipart()]
    return "\n".join(p.decode("utf-8") for p in parts if isinstance(p, bytes))


async def _address(user_id: int, email: str, *, opt_out: bool = False) -> None:
    await User.update({User.email: email, User.digest_opt_out: opt_out}).where(User.id == user_id)


async def test_the_digest_arrives_with_counts_and_links_only(
    db: None, inbox: tuple[Inbox, Settings]
) -> None:
    handler, settings = inbox
    w = await build_count_world()
    ids = w.world.user_ids
    await _address(ids["outreach"], "soc@kommun.example")
    await _address(ids["coordinator"], "samordnare@kommun.example")
    await _address(ids["police"], "polis@kommun.example", opt_out=True)
    mark = await audit_mark()

    assert await send_daily_digest(settings) == 2

    received = {rcpt[0]: message for rcpt, message in handler.mails}
    assert set(received) == {"soc@kommun.example", "samordnare@kommun.example"}
    outreach = received["soc@kommun.example"]
    assert outreach["From"] == "gvi@kommun.example"
    text = _body(outreach)
    assert "Mina försenade uppgifter: 1" in text
    assert "Mina uppgifter att göra i dag: 1" in text
    assert "https://gvi.kommun.example/tasks?view=mine" in text
    assert "https://gvi.kommun.example/account" in text  # where to opt out
    coordinator = _body(received["samordnare@kommun.example"])
    assert "Kommande call-ins: 1" in coordinator
    assert "https://gvi.kommun.example/callins/calendar" in coordinator
    everything = "\n".join(_body(m) + str(m["Subject"]) for _, m in handler.mails)
    for secret in (*w.codes, CALLIN_TITLE, TASK_TITLE, "Medborgarhuset"):
        assert secret not in everything
    assert not re.search(r"\bP-[0-9A-Z]{4}\b", everything)  # no person code of any kind

    rows = await AuditEvent.select(
        AuditEvent.target_id, AuditEvent.details, AuditEvent.actor_id
    ).where((AuditEvent.action == "digest:send") & (AuditEvent.seq > mark))
    assert sorted(r["target_id"] for r in rows) == sorted(
        [str(ids["outreach"]), str(ids["coordinator"])]
    )
    for r in rows:
        details = json.loads(r["details"]) if isinstance(r["details"], str) else r["details"]
        assert set(details) == {"items"}
        assert details["items"] > 0


async def test_nothing_is_sent_without_a_mail_server(db: None) -> None:
    w = await build_count_world()
    await _address(w.world.user_ids["outreach"], "soc@kommun.example")
    settings = dataclasses.replace(get_settings(), smtp_host="")
    assert await send_daily_digest(settings) == 0


async def test_the_account_page_sets_the_address_and_the_opt_out(app: Litestar) -> None:
    w = await build_count_world()
    uid = w.world.user_ids["outreach"]
    async with signed_in(app, w.world, "outreach") as client:
        csrf = await token(client, "/account")
        bad = await client.post(
            "/account", data={"csrf_token": csrf, "email": "inte en adress", "digest": "yes"}
        )
        assert bad.status_code == 400
        assert "Ange en e-postadress" in bad.text
        assert 'value="inte en adress"' in bad.text  # what was typed is kept
        ok = await client.post(
            "/account",
            data={"csrf_token": csrf, "email": "soc@kommun.example"},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        page = await client.get("/account")
        assert "Inställningarna är sparade." in page.text
        assert 'id="digest" name="digest" value="yes">' in page.text  # unticked: opted out
    row = await User.select(User.email, User.digest_opt_out).where(User.id == uid).first()
    assert row == {"email": "soc@kommun.example", "digest_opt_out": True}


def test_the_worker_sends_the_digest_every_morning() -> None:
    from gvi.jobs import registry
    from gvi.notify.services import send_daily_digest

    (digest,) = [p for p in registry.PERIODIC if p.name == "digest"]
    assert registry.load(digest.target) is send_daily_digest
    assert (digest.schedule["hour"], digest.schedule["minute"]) == ("7", "0")
