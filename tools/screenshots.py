"""Screenshots of the main pages for the README: ``make screenshots``.

Starts the app the way the browser tests do (a fresh SQLite database in a
temporary directory, the demo data, uvicorn on a free localhost port), signs
the demo users in through the real forms and writes PNGs into
``docs/screenshots/``: desktop pages at 1280×900, the outreach worker's phone
pages (offer logging, task list, call-in attendance) at 390×844, and a few
pages in English (``en-*.png``).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"

DESKTOP: list[tuple[str, str, str]] = [
    # (user, path, file name)
    ("samordnare", "/", "start"),
    ("samordnare", "/people", "people"),
    ("samordnare", "/groups", "groups"),
    ("samordnare", "/callins", "callins"),
    ("samordnare", "/callins/calendar", "calendar"),
    ("samordnare", "first:/callins", "callin"),
    ("samordnare", "/review", "review"),
    ("samordnare", "/reports", "reports"),
    ("analytiker", "/network", "network"),
    ("analytiker", "/network/timeline", "network-timeline"),
    ("polis", "/", "start-police"),
    ("polis", "/incidents", "incidents"),
    ("polis", "/enforcement", "enforcement"),
    ("socialsekreterare", "/offers", "offers"),
    ("socialsekreterare", "/cases", "cases"),
    ("socialsekreterare", "first:/cases", "case"),
    ("socialsekreterare", "/providers", "providers"),
    ("admin", "/admin/users", "admin-users"),
    ("admin", "/admin/audit", "admin-audit"),
]
PHONE: list[tuple[str, str, str]] = [
    ("socialsekreterare", "/offers/new", "phone-offer-new"),
    ("socialsekreterare", "/tasks", "phone-tasks"),
    ("socialsekreterare", "/", "phone-start"),
    ("samordnare", "attendance:/callins", "phone-attendance"),
]
# The same product in English (chosen in the footer, as a user would).
ENGLISH: list[tuple[str, str, str]] = [
    ("samordnare", "first:/callins", "en-callin"),
    ("polis", "/incidents", "en-incidents"),
    ("socialsekreterare", "first:/cases", "en-case"),
    ("admin", "/admin/users", "en-admin-users"),
]


def _environment(tmp: Path) -> None:
    os.environ.update(
        {
            "GVI_ENV": "test",
            "GVI_DATABASE_URL": f"sqlite:///{tmp / 'screenshots.sqlite3'}",
            "GVI_VAR_DIR": str(tmp / "var"),
            "GVI_DATA_KEY": "k1:" + base64.b64encode(b"\x02" * 32).decode(),
            "GVI_AUDIT_KEY": "a1:" + base64.b64encode(b"\x04" * 32).decode(),
            "GVI_AUDIT_SIGNING_KEY": "s1:" + base64.b64encode(b"\x05" * 32).decode(),
            "GVI_SECRET_KEY": "screenshots-secret-key-not-for-production-0123",
            "PICCOLO_CONF": "gvi.piccolo_conf",
        }
    )
    os.environ.pop("GVI_REDIS_URL", None)


async def _prepare() -> None:
    from gvi.core.migrate import migrate
    from seeds.demo import load_demo

    await migrate()
    await load_demo()


def _resolve(page: Any, base: str, path: str) -> str | None:
    """``first:/list`` is the first row's detail page; ``attendance:/callins`` the
    attendance page of the first call-in with invitations."""
    kind, _, target = path.rpartition(":")
    if not kind:
        return path
    page.goto(f"{base}{target}")
    hrefs = page.locator(f"main table a[href^='{target}/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    hrefs = [h for h in hrefs if re.fullmatch(rf"{target}/\d+", h)]
    if kind == "first":
        return hrefs[0] if hrefs else None
    for href in hrefs:
        page.goto(f"{base}{href}/attendance")
        if page.locator(".attendance-card").count():
            return f"{href}/attendance"
    return None


def _shoot(
    browser: Any, base: str, shots: list[tuple[str, str, str]], phone: bool, english: bool = False
) -> None:
    from tests.e2e.support import sign_in

    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    by_user: dict[str, list[tuple[str, str]]] = {}
    for user, path, name in shots:
        by_user.setdefault(user, []).append((path, name))
    for user, items in by_user.items():
        ctx = browser.new_context(
            viewport=viewport, is_mobile=phone, has_touch=phone, locale="sv-SE"
        )
        page = ctx.new_page()
        sign_in(page, base, user)
        if english:
            page.click("footer button[value=en]")
            page.wait_for_load_state()
        for path, name in items:
            target = _resolve(page, base, path)
            if target is None:
                print(f"skipped {name}: nothing to show", file=sys.stderr)
                continue
            response = page.goto(f"{base}{target}")
            if response is None or response.status != 200:
                print(f"skipped {name}: {target} answered {response and response.status}")
                continue
            page.wait_for_load_state("networkidle")
            file = OUT / f"{name}.png"
            page.screenshot(path=str(file))
            print(f"{file.relative_to(ROOT)}  ({user}, {target})")
        ctx.close()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="gvi-screens-"))
    _environment(tmp)
    asyncio.run(_prepare())
    from playwright.sync_api import sync_playwright

    from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS
    from tests.servers import running_app

    OUT.mkdir(parents=True, exist_ok=True)
    with running_app() as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            _shoot(browser, base, DESKTOP, phone=False)
            _shoot(browser, base, PHONE, phone=True)
            _shoot(browser, base, ENGLISH, phone=False, english=True)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
