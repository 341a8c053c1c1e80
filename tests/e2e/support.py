"""Shared pieces of the browser tests and the screenshot script: start the real
app with uvicorn, launch Debian's chromium, sign a demo user in through the real
form, fetch and verify axe-core from the npm registry."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

AXE_VERSION = "4.10.3"
# `npm view axe-core@4.10.3 dist.integrity`: the tarball is checked against it.
AXE_INTEGRITY = (
    "sha512-"
    "Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
)
VENDOR = Path(__file__).resolve().parent / ".vendor"
AXE_PATH = VENDOR / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _integrity_ok(data: bytes) -> bool:
    algo, _, expected = AXE_INTEGRITY.partition("-")
    digest = hashlib.new(algo, data).digest()
    return base64.b64encode(digest).decode() == expected


def axe_source() -> str:
    """axe.min.js from the pinned npm tarball (verified by its sha512 integrity),
    cached in ``tests/e2e/.vendor/`` (git-ignored)."""
    if not AXE_PATH.exists():
        with tempfile.TemporaryDirectory(prefix="gvi-axe-") as tmp:
            subprocess.run(
                ["npm", "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", tmp, "--silent"],
                check=True,
                capture_output=True,
                timeout=180,
            )
            tarball = Path(tmp) / f"axe-core-{AXE_VERSION}.tgz"
            data = tarball.read_bytes()
            if not _integrity_ok(data):
                raise RuntimeError(
                    f"axe-core {AXE_VERSION}: tarball does not match {AXE_INTEGRITY}"
                )
            with tarfile.open(tarball) as tar:
                member = tar.extractfile("package/axe.min.js")
                assert member is not None
                source = member.read()
            VENDOR.mkdir(exist_ok=True)
            tmp_path = AXE_PATH.with_suffix(".tmp")
            tmp_path.write_bytes(source)
            tmp_path.replace(AXE_PATH)
    return AXE_PATH.read_text(encoding="utf-8")


def run_axe(page: Any, source: str) -> list[dict[str, Any]]:
    """Every WCAG 2.1 A/AA violation on the current page, whatever its impact
    (minor and moderate too: issue 21 asks for none at any impact)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: tags, resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({"
        "id: v.id, impact: v.impact, help: v.help,"
        "nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))",
        AXE_TAGS,
    )
    return list(result)


_last_step: dict[str, int] = {}
_steps_lock = threading.Lock()


def totp_code(secret: str) -> str:
    """A code not used before for this secret. Codes are single-use, so a second
    login of the same user takes the next 30 s step (``at(now + 30 * k)``); the
    server accepts one step of drift, so a third one waits for the clock."""
    import pyotp

    with _steps_lock:
        while True:
            now = time.time()
            step = int(now // 30)
            k = max(0, _last_step.get(secret, step - 1) + 1 - step)
            if k <= 1:
                break
            time.sleep(30 - now % 30 + 0.1)
        _last_step[secret] = step + k
    return str(pyotp.TOTP(secret).at(now + 30 * k))


def sign_in(page: Any, base: str, username: str) -> None:
    """Sign a demo user in through the real login and TOTP forms."""
    from seeds.demo import DEMO_USERS

    user = next(u for u in DEMO_USERS if u.username == username)
    page.goto(f"{base}/login")
    page.fill("#username", user.username)
    page.fill("#password", user.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/login/totp")
    page.fill("#code", totp_code(user.totp_secret))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def skip_without_chromium(items: list[Any], package: Path) -> None:
    """Skip the browser tests under *package* where chromium is missing, except in
    CI (``CI=true``), where a missing browser is an error."""
    import pytest

    if Path(CHROMIUM).exists() or os.environ.get("CI") == "true":
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (CI would fail here)")
    for item in items:
        if package in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@asynccontextmanager
async def demo_loaded() -> AsyncIterator[None]:
    """The demo data set in the test database for the block, emptied after it."""
    from seeds.demo import load_demo
    from tests.database import empty_database

    await empty_database()
    await load_demo()
    try:
        yield
    finally:
        await empty_database()


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's chromium, headless, through sync Playwright. Start it after every
    async fixture: sync Playwright keeps an event loop of its own running."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def phone_context(browser: Any) -> Iterator[Any]:
    """A browser context the size of a phone (390 × 844, touch), Swedish."""
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="sv-SE"
    )
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


def settled(page: Any) -> None:
    """Wait until a live form's update is done: figure-kit.js pushes the URL at once and
    marks the page ``aria-busy`` until the fetched page has been swapped in."""
    page.wait_for_function("() => !document.documentElement.hasAttribute('aria-busy')")
