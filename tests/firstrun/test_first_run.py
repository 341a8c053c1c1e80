"""Day one in a municipality, in a real browser, from an empty production database.

Nothing of the test suite's database or the demo is used: the test makes a fresh
database (a SQLite file, or a new PostgreSQL database beside the suite's), runs
``gvi migrate`` and ``gvi create-first-admin`` as an operator would, and serves
it in production mode under uvicorn. Then, in Debian's chromium:

1. the admin signs in with the second factor read from the QR code the command
   printed (decoded from the terminal's block characters);
2. creates a joint unit serving two municipalities and an outreach user in it;
   the user's second factor is read from the QR code on the page (a screenshot
   decoded with zxing-cpp);
3. the outreach user signs in, uploads a workbook of old cases with mistakes
   (the dry run lists them, nothing is written), then the corrected workbook;
4. the case list, a case page and the figures show the imported cases.
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest

from tests.conftest import ENGINE
from tests.e2e.support import CHROMIUM, launched_chromium, totp_code
from tests.servers import running_app

ADMIN_PASSWORD = "forsta-admin-lösenord-länge"
OUTREACH_PASSWORD = "socialsekreterare-första-dagen"
UNIT = "Avhopparverksamheten Järfälla–Sollentuna"

if not Path(CHROMIUM).exists() and os.environ.get("CI") != "true":
    pytest.skip(f"{CHROMIUM} is missing (CI would fail here)", allow_module_level=True)


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def production_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a fresh production install with an empty database."""
    admin_url = os.environ.get("GVI_TEST_POSTGRES_URL", "")
    dbname = f"gvi_firstrun_{secrets.token_hex(4)}"
    if ENGINE == "postgres":
        url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{dbname}"))
        _pg_admin(admin_url, f'CREATE DATABASE "{dbname}"')
    else:
        url = f"sqlite:///{tmp_path / 'gvi.sqlite3'}"
    env = {
        "GVI_ENV": "production",
        "GVI_DATABASE_URL": url,
        "GVI_VAR_DIR": str(tmp_path / "var"),
        "GVI_DATA_KEY": f"k1:{_key()}",
        "GVI_AUDIT_KEY": f"a1:{_key()}",
        "GVI_AUDIT_SIGNING_KEY": f"s1:{_key()}",
        "GVI_SECRET_KEY": secrets.token_urlsafe(48),
        "GVI_ALLOWED_HOSTS": "127.0.0.1",
        "PICCOLO_CONF": "gvi.piccolo_conf",
    }
    try:
        yield env
    finally:
        if ENGINE == "postgres":
            _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _gvi(env: dict[str, str], *args: str, ok: bool = True) -> str:
    """Run a ``gvi`` command as an operator would, with only *env*'s GVI settings;
    its output, or its error when *ok* is False (it must then fail)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("GVI_")}
    full.update(env)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("gvi")), *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode == 0) is ok, done.stderr
    return done.stdout if ok else done.stderr


def _decode_qr(image: Any) -> str:
    import zxingcpp

    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "no QR code found"
    text: str = found[0].text
    return text


def _terminal_qr_image(output: str) -> Any:
    """The QR code the command printed, drawn from its half-block characters
    (each character is two modules: upper and lower half; light on dark)."""
    from PIL import Image

    lines = [ln for ln in output.splitlines() if ln and set(ln) <= set("█▀▄ ")]
    assert lines, "the command printed no QR code"
    width = max(len(ln) for ln in lines)
    scale = 8
    img = Image.new("L", (width * scale, len(lines) * 2 * scale), 255)
    pixels = img.load()
    assert pixels is not None
    # Full block = both halves light (white) on the terminal's dark background:
    # the printed code is inverted, which QR readers handle; draw it as shown.
    halves = {"█": (255, 255), "▀": (255, 0), "▄": (0, 255), " ": (0, 0)}
    for y, line in enumerate(lines):
        for x, ch in enumerate(line.ljust(width)):
            top, bottom = halves[ch]
            for dy in range(scale):
                for dx in range(scale):
                    pixels[x * scale + dx, 2 * y * scale + dy] = top
                    pixels[x * scale + dx, (2 * y + 1) * scale + dy] = bottom
    return img


def _secret_of(uri: str) -> str:
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    return parse_qs(parts.query)["secret"][0]


def _sign_in(page: Any, base: str, username: str, password: str, secret: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/login/totp")
    page.fill("#code", totp_code(secret))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _workbook(rows: list[dict[str, str]], people: list[dict[str, str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "Personer"
    person_headers = list(people[0])
    sheet.append(person_headers)
    for p in people:
        sheet.append([p[h] for h in person_headers])
    cases = wb.create_sheet("Ärenden")
    case_headers = list(rows[0])
    cases.append(case_headers)
    for r in rows:
        cases.append([r[h] for h in case_headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PEOPLE = [
    {
        "Extern referens": "GAMMAL-P1",
        "Kommunkod": "0123",
        "Födelseår": "2003",
        "Skyddsnivå": "Inga",
        "Namn": "Förstadag Testsson",
        "Personnummer": "20030101-9802",
    },
    {
        "Extern referens": "GAMMAL-P2",
        "Kommunkod": "0163",
        "Födelseår": "2001",
        "Skyddsnivå": "Inga",
        "Namn": "Förstadag Demosdotter",
        "Personnummer": "20010202-9804",
    },
    {
        "Extern referens": "GAMMAL-P3",
        "Kommunkod": "0123",
        "Födelseår": "1999",
        "Skyddsnivå": "Inga",
        "Namn": "Förstadag Exempelsson",
        "Personnummer": "19990303-9806",
    },
]


def _cases(unit: str, *, mistakes: bool) -> list[dict[str, str]]:
    rows = [
        {
            "Extern referens": "AH-2023-01",
            "Personens externa referens": "GAMMAL-P1",
            "Enhet": unit,
            "Öppnat": "2023-03-01",
            "Stängt": "",
            "Utfall": "",
            "Aktualiserad av": "Polisen",
            "Statushistorik": "contact:2023-03-01; motivation_assessment:2023-03-10",
            "Barn": "nej",
        },
        {
            "Extern referens": "AH-2023-02",
            "Personens externa referens": "GAMMAL-P2",
            "Enhet": unit,
            "Öppnat": "2023-04-12",
            "Stängt": "",
            "Utfall": "",
            "Aktualiserad av": "Egen kontakt",
            "Statushistorik": "",
            "Barn": "nej",
        },
        {
            "Extern referens": "AH-2024-07",
            "Personens externa referens": "GAMMAL-P3",
            "Enhet": unit,
            "Öppnat": "2024-01-15",
            "Stängt": "",
            "Utfall": "",
            "Aktualiserad av": "Frivården",
            "Statushistorik": "contact:2024-01-15",
            "Barn": "nej",
        },
    ]
    if mistakes:
        rows[0]["Öppnat"] = "2023-13-01"  # no 13th month
        rows[1]["Aktualiserad av"] = "Grannen"  # not a referral source
        rows[2]["Enhet"] = "Ingen sådan enhet"
    return rows


def _option(page: Any, select: str, text: str) -> str:
    """The value of the first option of *select* whose text starts with *text*."""
    option = page.locator(f"{select} option", has_text=re.compile("^" + re.escape(text))).first
    value: str = option.get_attribute("value")
    return value


def _case_links(page: Any) -> list[str]:
    hrefs = page.locator("main a[href^='/cases/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return sorted({h for h in hrefs if re.fullmatch(r"/cases/\d+", h)})


def _upload(page: Any, base: str, data: bytes, *, dry_run: bool) -> None:
    page.goto(f"{base}/records/import")
    page.set_input_files(
        "#workbook-file",
        files=[
            {
                "name": "gamla-arenden.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": data,
            }
        ],
    )
    if not dry_run:
        page.uncheck("#dry_run")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def test_first_day_from_an_empty_production_database(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    env = production_env
    assert "Migrations are current" in _gvi(env, "migrate")
    printed = _gvi(
        env,
        "create-first-admin",
        "--username",
        "forsta.admin",
        "--name",
        "Första Admin",
        "--password",
        ADMIN_PASSWORD,
    )
    uri = _decode_qr(_terminal_qr_image(printed))
    admin_secret = _secret_of(uri)
    assert admin_secret in printed
    # A second first admin is refused.
    refusal = _gvi(
        env, "create-first-admin", "--username", "andra", "--name", "Andra",
        "--password", ADMIN_PASSWORD, ok=False,
    )  # fmt: skip
    assert "administrat" in refusal.lower()

    with running_app(env) as base, launched_chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        _sign_in(page, base, "forsta.admin", ADMIN_PASSWORD, admin_secret)

        # A joint unit serving Järfälla and Sollentuna.
        page.goto(f"{base}/admin/units/new")
        page.fill("#name", UNIT)
        page.select_option("#kind", value="joint_defector_unit")
        page.select_option("#agency", value="social_services")
        page.select_option("#home", value="0123")  # Järfälla
        page.select_option("#serves", value=["0123", "0163"])  # and Sollentuna
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/admin/units/\d+$"))
        assert "Sollentuna" in page.inner_text("main")

        # An outreach user in it, with the second factor from the page's QR code.
        page.goto(f"{base}/admin/users/new")
        page.fill("#username", "sofia.forsta")
        page.fill("#display_name", "Sofia Första")
        page.select_option("#role", value="outreach")
        page.select_option("#unit", value=_option(page, "#unit", UNIT))
        page.fill("#password", OUTREACH_PASSWORD)
        # The button a person sees (the form's first, hidden one only makes Enter create).
        page.locator(
            "main form button[type=submit]:not(.visually-hidden)", has_text="Skapa användare"
        ).click()
        page.wait_for_load_state()
        assert "Användaren är skapad" in page.inner_text("main")
        from PIL import Image

        shot = page.locator("#totp-qr svg").screenshot()
        outreach_uri = _decode_qr(Image.open(io.BytesIO(shot)))
        assert outreach_uri == page.inner_text("#totp-uri").strip()
        outreach_secret = _secret_of(outreach_uri)
        page.click("form.logout button[type=submit]")
        page.wait_for_load_state()

        _sign_in(page, base, "sofia.forsta", OUTREACH_PASSWORD, outreach_secret)
        # The dry run lists every mistake; nothing is written.
        _upload(page, base, _workbook(_cases(UNIT, mistakes=True), PEOPLE), dry_run=True)
        assert "3 fel hittades. Inget har sparats." in page.inner_text("#import-result")
        rows = page.locator("table.problems tbody tr").all_inner_texts()
        cells = [re.split(r"\t+", r.strip()) for r in rows]
        assert [(c[0], c[1]) for c in cells] == [
            ("2", "Öppnat (opened_on)"),
            ("3", "Aktualiserad av (referral_source)"),
            ("4", "Enhet (unit)"),
        ]
        problems = page.inner_text("main")
        for secret_text in ("Förstadag", "9802", "9804", "9806", "Grannen"):
            assert secret_text not in problems
        page.goto(f"{base}/cases")
        assert _case_links(page) == []

        # The corrected workbook: a dry run first, then the real import.
        good = _workbook(_cases(UNIT, mistakes=False), PEOPLE)
        _upload(page, base, good, dry_run=True)
        assert page.locator("#import-result").is_visible()
        _upload(page, base, good, dry_run=False)
        assert "Importen är klar." in page.inner_text("#import-result")
        counts = page.locator("#import-result + .table-wrap tbody tr").all_inner_texts()
        assert [re.split(r"\t+", r.strip()) for r in counts] == [
            ["Personer", "3", "XLSX", "3", "0", "0"],
            ["Avhopparärenden", "3", "XLSX", "3", "0", "0"],
        ]
        # The same workbook again changes nothing.
        _upload(page, base, good, dry_run=False)
        again = page.locator("#import-result + .table-wrap tbody tr").all_inner_texts()
        assert [re.split(r"\t+", r.strip())[3:] for r in again] == [["0", "0", "3"]] * 2

        # The imported cases are first-class: list, case page, figures.
        page.goto(f"{base}/cases")
        case_links = _case_links(page)
        assert len(case_links) == 3
        page.goto(f"{base}{case_links[0]}")
        assert re.fullmatch(r"P-[0-9A-Z]{2,12}", page.locator("dd.code").first.inner_text())
        case_page = page.inner_text("main")
        assert "Förstadag" not in case_page  # identities only on request, audited
        page.goto(f"{base}/reports")
        table = page.locator("table", has_text="Andel med insats").first
        rows = table.locator("tbody tr").all_inner_texts()
        figures = [re.split(r"\t+", r.strip()) for r in rows]
        assert sorted(f[:4] for f in figures) == [
            ["Järfälla", "2023", "1", "0"],
            ["Järfälla", "2024", "1", "0"],
            ["Sollentuna", "2023", "1", "0"],
        ]
        ctx.close()
    # The whole day is in the keyed, checkpointed audit trail, and it verifies.
    _gvi(env, "audit", "verify")
