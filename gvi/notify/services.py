"""The start page's visit time, a user's digest settings, and sending the daily digest.

``send_daily_digest()`` is a plain async function: the CLI (``gvi send-digest``)
calls it now, the background worker's daily schedule calls it once a day. Each
mail goes to one user, carries that user's scoped counts only, and leaves an
audit row (the number of items; never the address or the content).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from gvi import i18n
from gvi.access.loading import account_principal, current_account
from gvi.access.principal import Principal
from gvi.accounts.tables import User, UserKind
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import FormErrors
from gvi.db import write_transaction
from gvi.notify.counts import waiting_for
from gvi.notify.digest import digest_message, render_digest
from gvi.settings import Settings, get_settings

log = logging.getLogger("gvi.notify")

EMAIL_MAX = 254
BAD_EMAIL = i18n.N_("Ange en e-postadress som namn@exempel.se, eller lämna fältet tomt.")


# --- the start page ----------------------------------------------------------------


async def visit_start_page(principal: Principal) -> datetime | None:
    """Record this visit of the start page; the previous one (None: the first)."""
    async with write_transaction(User._meta.db):
        row = await User.select(User.home_seen_at).where(User.id == principal.user_id).first()
        await User.update({User.home_seen_at: clock.now()}, use_auto_update=False).where(
            User.id == principal.user_id
        )
    seen: datetime | None = row["home_seen_at"] if row else None
    return seen


# --- the user's digest settings ----------------------------------------------------------


@dataclass(frozen=True)
class DigestSettings:
    email: str
    opt_out: bool


def clean_email(value: str) -> str:
    """An address as typed, trimmed; empty is allowed (no digest). Refused: no
    single @, no dot in the domain, spaces, or too long."""
    text = value.strip()
    if not text:
        return ""
    local, _, domain = text.partition("@")
    if (
        len(text) > EMAIL_MAX
        or not local
        or "@" in domain
        or "." not in domain.strip(".")
        or any(ch.isspace() for ch in text)
    ):
        raise FormErrors({"email": i18n.gettext(BAD_EMAIL)})
    return text


async def digest_settings(principal: Principal) -> DigestSettings:
    row = (
        await User.select(User.email, User.digest_opt_out)
        .where(User.id == principal.user_id)
        .first()
    )
    if row is None:
        return DigestSettings(email="", opt_out=True)
    return DigestSettings(email=row["email"], opt_out=bool(row["digest_opt_out"]))


async def update_digest_settings(principal: Principal, *, email: str, opt_out: bool) -> None:
    """The user's own address and opt-out; audited without the address."""
    address = clean_email(email)
    async with write_transaction(User._meta.db):
        await User.update(
            {User.email: address, User.digest_opt_out: opt_out}, use_auto_update=False
        ).where(User.id == principal.user_id)
        await record(
            AuditAction.digest_settings_update,
            actor=principal,
            target_type="user",
            target_id=principal.user_id,
            details={"configured": bool(address), "opt_out": opt_out},
        )


# --- sending -----------------------------------------------------------------------------


def _base_url(settings: Settings) -> str:
    scheme = "https" if settings.secure_cookies else "http"
    return f"{scheme}://{settings.host_name}"


def _send(settings: Settings, messages: list[EmailMessage]) -> None:
    """One SMTP session for the whole batch (runs in a thread)."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for message in messages:
            smtp.send_message(message)


async def _recipients() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = await User.select(User.id, User.email, User.language).where(
        User.archived_at.is_null()
        & (User.is_active == True)  # noqa: E712
        & (User.kind == UserKind.person)
        & (User.digest_opt_out == False)  # noqa: E712
        & (User.email != "")
    )
    return rows


async def _principal(user_id: int) -> Principal | None:
    account = await current_account(user_id)
    return account_principal(account) if account is not None else None


async def send_daily_digest(settings: Settings | None = None) -> int:
    """Mail every user who has an address and did not opt out the counts waiting
    for them (nothing when nothing waits); the number of mails sent. Without
    GVI_SMTP_HOST nothing is sent."""
    settings = settings or get_settings()
    if not settings.smtp_host:
        log.info("digest: GVI_SMTP_HOST is not set, nothing sent")
        return 0
    base = _base_url(settings)
    batch: list[tuple[Principal, int, EmailMessage]] = []
    language = i18n.current_language()
    try:
        for row in await _recipients():
            principal = await _principal(int(str(row["id"])))
            if principal is None:
                continue
            counts = [c for c in await waiting_for(principal) if c.count > 0]
            if not counts:
                continue
            i18n.set_language(str(row["language"]))
            digest = render_digest(counts, base)
            message = digest_message(digest, sender=settings.smtp_from, to=str(row["email"]))
            batch.append((principal, len(counts), message))
    finally:
        i18n.set_language(language)
    if not batch:
        return 0
    await asyncio.to_thread(_send, settings, [m for _, _, m in batch])
    async with write_transaction(User._meta.db):
        for principal, items, _ in batch:
            await record(
                AuditAction.digest_send,
                actor=None,
                target_type="user",
                target_id=principal.user_id,
                details={"items": items},
            )
    log.info("digest: %d mails sent", len(batch))
    return len(batch)
