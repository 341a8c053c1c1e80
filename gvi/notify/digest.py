"""The daily digest as a mail: counts and absolute links only, never a person code, a
name or a title (architecture §4.6: nothing personal in e-mails). Pure: the caller
hands in the counts and the installation's address.

The text is in the current language (``gvi.i18n``); the sender sets it per user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from html import escape
from typing import Protocol

from gvi.i18n import gettext, ngettext

ACCOUNT_PATH = "/account"


class Counted(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def href(self) -> str: ...


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str


def _link(base: str, href: str) -> str:
    return f"{base.rstrip('/')}{href or '/'}"


def render_digest(counts: Sequence[Counted], base: str) -> Digest:
    """The mail for these counts (the ones above zero); ``base`` is the
    installation's address, ``https://host``."""
    shown = [c for c in counts if c.count > 0]
    total = sum(c.count for c in shown)
    subject = gettext("GVI-stöd: %(n)s saker väntar på dig") % {"n": total}
    intro = ngettext(
        "En sak väntar på dig i GVI-stöd:",
        "%(n)s saker väntar på dig i GVI-stöd:",
        total,
    ) % {"n": total}
    opt_out = gettext("Vill du inte få det här utskicket kan du stänga av det här: %(link)s") % {
        "link": _link(base, ACCOUNT_PATH)
    }
    closing = gettext("Logga in för att se mer. Det här brevet innehåller bara antal och länkar.")
    lines = [gettext("Hej!"), "", intro, ""]
    for c in shown:
        lines.append(f"- {gettext(c.label)}: {c.count}")
        lines.append(f"  {_link(base, c.href)}")
    lines += ["", closing, opt_out, ""]
    items = "".join(
        f'<li><a href="{escape(_link(base, c.href))}">{escape(gettext(c.label))}</a>: '
        f"<strong>{c.count}</strong></li>"
        for c in shown
    )
    account = escape(_link(base, ACCOUNT_PATH))
    html = (
        f'<!doctype html><html lang="sv"><body><p>{escape(gettext("Hej!"))}</p>'
        f"<p>{escape(intro)}</p><ul>{items}</ul><p>{escape(closing)}</p>"
        f'<p><a href="{account}">'
        f"{escape(gettext('Stäng av utskicket'))}</a></p></body></html>"
    )
    return Digest(subject=subject, text="\n".join(lines), html=html)


def digest_message(digest: Digest, *, sender: str, to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = sender
    msg["To"] = to
    msg.set_content(digest.text)
    msg.add_alternative(digest.html, subtype="html")
    return msg
