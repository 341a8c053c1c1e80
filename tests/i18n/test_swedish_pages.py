"""Every page of the demo world, as each role sees it in Swedish, reads as Swedish
(issue 21 part 5).

The demo data set (the world of the browser tests) is loaded, each demo user
signs in through the real forms and the site is crawled from the start page:
every in-site GET link, one page per route shape (``/people/12`` and
``/people/13`` are one shape) and role. The visible text of each page (the text
of ``<body>`` without scripts and styles, plus ``aria-label``, ``title``,
``placeholder``, ``alt`` and button values; not what is set in ``<code>``, which
is an API scope or a file's vocabulary shown as such) must hold

* no word of an English stop-list (articles, role codes, status codes …),
* no code of our enums that is not also a Swedish word (``call_in``,
  ``case:read``, ``shooting`` …), and
* no "1 <plural>" ("1 träffar"): the plural forms come from the ngettext
  messages of the code and templates, so a new plural is covered when it is
  written.

The two import pages document the files' English column names and values on
purpose ("status: aktiv … (eller active, dormant, dissolved)"): there only the
plural rule applies. User names (``admin``) are data and are left out.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from tests.clients import BASE, login
from tests.e2e.support import demo_loaded
from tests.i18n.test_i18n_catalogue import python_messages, template_messages

# English words that have no business in the Swedish interface. "admin" is left
# out: it is a demo user's name, shown as data.
ENGLISH = frozenset(
    {
        "the",
        "and",
        "of",
        "with",
        "for",
        "from",
        "to",
        "is",
        "are",
        "this",
        "that",
        "you",
        "your",
        "not",
        "yes",
        "no",
        "none",
        "coordinator",
        "outreach",
        "police",
        "analyst",
        "pending",
        "active",
        "inactive",
        "done",
        "open",
        "closed",
        "cancelled",
        "draft",
        "new",
        "edit",
        "delete",
        "save",
        "search",
        "page",
        "next",
        "previous",
        "true",
        "false",
        "status",
        "unknown",
        "break-the-glass",
        "break",
        "glass",
        "other",
    }
)
# Words of the Swedish interface that are also English (or codes) and right here.
SWEDISH_TOO = frozenset({"status", "mentor", "risk", "person", "alias", "export", "import"})
PLURAL_NOUNS = ("träffar", "uppgifter", "dagar", "vapenvilor", "personer", "grupper")

SKIP_PATHS = re.compile(r"^/(static|api|logout|login|language|oidc)\b|\.(csv|xlsx|ics|json)$")
_ID = re.compile(r"/\d+")
_TOKEN = re.compile(r"[A-Za-zÅÄÖåäöéü][\w:-]*")


class _Visible(HTMLParser):
    """Text a user sees or hears, and the page's links."""

    ATTRS = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "body":
            self._in_body = True
        if tag in ("script", "style", "template", "code"):
            self._hidden += 1
        if tag == "a" and a.get("href") and "download" not in a:
            self.links.append(a["href"] or "")
        if self._in_body:
            self.parts += [a[k] or "" for k in self.ATTRS if a.get(k)]
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.parts.append(a["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "code") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._in_body and not self._hidden:
            self.parts.append(data)


def visible(html: str) -> tuple[str, list[str]]:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.links


def _enums() -> Iterator[type[enum.Enum]]:
    seen: set[type[enum.Enum]] = set()
    todo: list[type[enum.Enum]] = list(enum.Enum.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo += cls.__subclasses__()
        if cls.__module__.startswith("gvi."):
            yield cls


def swedish_words() -> set[str]:
    """The words of every Swedish source message (code and templates)."""
    words: set[str] = set()
    for found in [*template_messages(), *python_messages()]:
        for text in (found.msgid, found.plural or ""):
            words |= {w.lower() for w in _TOKEN.findall(text)}
    return words


def enum_codes() -> set[str]:
    """Values of our enums that are not Swedish words: shown, they are a code."""
    import gvi.app  # noqa: F401 - loads every table and enum

    assert "gvi.app" in sys.modules
    swedish = swedish_words()
    codes = {
        str(member.value)
        for cls in _enums()
        for member in cls
        if isinstance(member.value, str) and re.fullmatch(r"[a-z][a-z0-9_:]*", member.value)
    }
    return {c for c in codes if c not in swedish and c not in SWEDISH_TOO and len(c) > 2}


def plural_nouns() -> tuple[str, ...]:
    """The word after the number in each ngettext plural: "%(num)s träffar"."""
    nouns = set(PLURAL_NOUNS)
    for found in [*template_messages(), *python_messages()]:
        if found.plural:
            m = re.search(r"%\((?:num|n|count)\)s\s+([^\W\d_][\w-]*)", found.plural)
            if m:
                singular = re.search(r"%\((?:num|n|count)\)s\s+([^\W\d_][\w-]*)", found.msgid)
                if not singular or singular.group(1) != m.group(1):
                    nouns.add(m.group(1))
    return tuple(sorted(nouns))


def problems_in(
    text: str, codes: set[str], one_plural: re.Pattern[str], *, words: bool = True
) -> list[str]:
    found = []
    for token in _TOKEN.findall(text) if words else []:
        bare = token.strip(":-")
        if bare.lower() in ENGLISH and bare.lower() not in SWEDISH_TOO:
            found.append(f"English word {bare!r}")
        elif bare in codes:
            found.append(f"code {bare!r}")
    found += [f"{m.group(0)!r}" for m in one_plural.finditer(text)]
    return found


def shape(path: str) -> str:
    return _ID.sub("/{id}", urlsplit(path).path)


async def crawl(client: Any, limit: int) -> dict[str, str]:
    """path → visible text, breadth first from the start page, one page per shape."""
    queue = ["/"]
    shapes: set[str] = set()
    pages: dict[str, str] = {}
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if shape(path) in shapes:
            continue
        shapes.add(shape(path))
        r = await client.get(path)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        text, links = visible(r.text)
        pages[path] = text
        for href in links:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or SKIP_PATHS.search(parts.path):
                continue
            if shape(parts.path) not in shapes:
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def test_the_checks_find_what_they_should() -> None:
    codes = {"call_in", "case:read", "shooting"}
    one = re.compile(r"(?<![\d,.\xa0])1 (?:träffar|dagar)\b")
    text, _ = visible(
        '<body><p>1 träffar, 21 dagar</p><p title="the status">call_in</p>'
        "<script>var the = 1</script><button aria-label='coordinator'>x</button>"
        "<code>case:read</code></body>"
    )
    assert problems_in(text, codes, one) == [
        "English word 'the'",
        "code 'call_in'",
        "English word 'coordinator'",
        "'1 träffar'",
    ]
    assert problems_in("Samordnare 1 dag, 11 dagar", codes, one) == []


async def test_every_page_reads_as_swedish(app: Any) -> None:
    from litestar.testing import AsyncTestClient

    from seeds.demo import DEMO_PASSWORD, DEMO_USERNAMES, DEMO_USERS

    codes = enum_codes()
    assert {"call_in", "coordinator"} & codes, "the enum codes were not collected"
    nouns = plural_nouns()
    assert "vapenvilor" in nouns
    assert "uppgifter" in nouns
    one_plural = re.compile(r"(?<![\d,.\xa0])1 (?:" + "|".join(map(re.escape, nouns)) + r")\b")
    problems: list[str] = []
    seen = 0
    async with demo_loaded():
        for user in DEMO_USERS:
            async with AsyncTestClient(app=app, base_url=BASE) as client:
                await login(client, user.username, user.totp_secret, password=DEMO_PASSWORD)
                pages = await crawl(client, limit=45)
            assert len(pages) >= 5, (user.username, list(pages))
            seen += len(pages)
            for path, text in pages.items():
                data = " ".join(t for t in text.split() if t.strip("(),.") not in DEMO_USERNAMES)
                words = not path.endswith("/import")
                problems += [
                    f"{user.username} {path}: {p}"
                    for p in problems_in(data, codes, one_plural, words=words)
                ]
    assert seen >= 60, seen
    assert not problems, "\n".join(dict.fromkeys(problems))
