"""First run on an empty production database: `gvi migrate`, `gvi create-first-admin`
(refused the second time), `gvi org …`; and the QR codes of the second factor."""

from __future__ import annotations

import base64
import html
import os
import re
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import segno
from litestar import Litestar

from gvi.accounts.qr import qr_svg, qr_terminal
from tests.admin.support import PASSWORD, municipality, new_user, shown_secret, signed_in
from tests.support import csrf_from

GVI = Path(sys.executable).parent / "gvi"


def _production_env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("GVI_")},
        "GVI_ENV": "production",
        "GVI_VAR_DIR": str(tmp_path),
        "GVI_DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "PICCOLO_CONF": "gvi.piccolo_conf",
        "GVI_DATA_KEY": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GVI_AUDIT_KEY": "a1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GVI_AUDIT_SIGNING_KEY": "s1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GVI_SECRET_KEY": secrets.token_urlsafe(36),
        "GVI_ALLOWED_HOSTS": "gvi.example.test",
    }


def _gvi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GVI), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_first_admin_and_units_on_an_empty_production_database(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    assert _gvi(env, "migrate").returncode == 0
    first = _gvi(
        env, "create-first-admin", "--username", "Forsta", "--name", "Första Admin",
        "--password", PASSWORD,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    out = first.stdout
    uri = re.search(r"(otpauth://totp/\S+)", out)
    assert uri is not None
    assert "secret=" in uri.group(1)
    # The QR code of exactly that URI, drawn in the terminal, and ten recovery codes.
    assert qr_terminal(uri.group(1)) in out
    assert len(re.findall(r"^  [0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$", out, re.M)) == 10
    with sqlite3.connect(tmp_path / "p.sqlite3") as conn:
        rows = conn.execute("select username, role, totp_secret_enc is not null from app_user")
        assert rows.fetchall() == [("forsta", "admin", 1)]
        (event,) = conn.execute(
            "select count(*) from audit_event where action = 'user:first_admin:create'"
        ).fetchone()
        assert event == 1

    again = _gvi(
        env, "create-first-admin", "--username", "andra", "--name", "Andra", "--password", PASSWORD
    )
    assert again.returncode == 1
    assert "Det finns redan en administratör" in again.stderr
    assert "otpauth" not in again.stdout

    made = _gvi(
        env, "org", "unit-create", "--name", "Avhopparverksamheten Nordväst",
        "--kind", "joint_defector_unit", "--agency", "social_services",
        "--home", "0123", "--serves", "0123", "--serves", "0163",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "home=0123 serves=0123,0163" in made.stdout
    bad = _gvi(
        env, "org", "unit-create", "--name", "Polisen", "--kind", "police",
        "--agency", "police", "--home", "123",
    )  # fmt: skip
    assert bad.returncode == 1
    assert "home: Välj en kommun i listan" in bad.stderr
    moved = _gvi(env, "org", "unit-update", "Avhopparverksamheten Nordväst", "--serves", "0191")
    assert moved.returncode == 0, moved.stderr
    assert "serves=0123,0191" in moved.stdout
    listed = _gvi(env, "org", "units")
    assert "Avhopparverksamheten Nordväst" in listed.stdout
    assert "version=2" in listed.stdout
    uppsala = _gvi(env, "org", "municipalities", "--county", "Uppsala län")
    assert uppsala.stdout.splitlines()[0] == "0305  Håbo  (Uppsala län)"
    assert len(uppsala.stdout.splitlines()) == 8
    user = _gvi(
        env, "create-user", "--username", "handl1", "--name", "Soc Sek", "--role", "outreach",
        "--unit", "Avhopparverksamheten Nordväst", "--password", PASSWORD,
    )  # fmt: skip
    assert user.returncode == 0, user.stderr
    gone = _gvi(env, "org", "unit-deactivate", "Avhopparverksamheten Nordväst")
    assert gone.returncode == 0, gone.stderr
    assert "sessions of 1 user(s) ended" in gone.stdout
    back = _gvi(env, "org", "unit-reactivate", "Avhopparverksamheten Nordväst")
    assert back.returncode == 0, back.stderr
    assert "Reactivated Avhopparverksamheten Nordväst" in back.stdout
    twice = _gvi(env, "org", "unit-reactivate", "Avhopparverksamheten Nordväst")
    assert twice.returncode == 1
    assert "redan aktiv" in twice.stderr
    # A user whose home is one unit and who also works in the joint unit.
    made = _gvi(
        env, "org", "unit-create", "--name", "Socialtjänsten Järfälla",
        "--kind", "social_services", "--agency", "social_services", "--home", "0123",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    joint = _gvi(
        env, "create-user", "--username", "handl2", "--name", "Soc Sek 2", "--role", "outreach",
        "--unit", "Socialtjänsten Järfälla", "--joint-unit", "Avhopparverksamheten Nordväst",
        "--password", PASSWORD,
    )  # fmt: skip
    assert joint.returncode == 0, joint.stderr
    unknown = _gvi(
        env, "create-user", "--username", "handl3", "--name", "Soc Sek 3", "--role", "outreach",
        "--joint-unit", "Finns inte", "--password", PASSWORD,
    )  # fmt: skip
    assert unknown.returncode == 1
    assert "No unit with id or name 'Finns inte'" in unknown.stderr
    with sqlite3.connect(tmp_path / "p.sqlite3") as conn:
        actions = [
            r[0]
            for r in conn.execute(
                "select action from audit_event where action like 'org:unit:%' order by seq"
            )
        ]
        joined = conn.execute(
            "select u.username, n.name from user_unit j join app_user u on u.id = j.user"
            " join unit n on n.id = j.unit"
        ).fetchall()
        changes = conn.execute(
            "select count(*) from audit_event where action = 'user:unit:change'"
        ).fetchone()
        created = conn.execute("select count(*) from app_user where username = 'handl3'")
        assert created.fetchone() == (0,)
    assert actions == [
        "org:unit:create",
        "org:unit:update",
        "org:unit:deactivate",
        "org:unit:reactivate",
        "org:unit:create",
    ]
    assert joined == [("handl2", "Avhopparverksamheten Nordväst")]
    assert changes == (1,)


def test_the_qr_code_is_segnos_code_of_the_uri() -> None:
    uri = "otpauth://totp/GVI-st%C3%B6d:anna?secret=JBSWY3DPEHPK3PXP&issuer=GVI-st%C3%B6d"
    svg = str(qr_svg(uri))
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "<script" not in svg
    expected = segno.make(uri, error="m").svg_inline(
        scale=4, title="QR", svgclass="totp-qr", lineclass=None, light="#fff"
    )
    assert svg == expected
    # Another secret, another code.
    assert str(qr_svg(uri.replace("JBSW", "KBSW"))) != svg


async def test_the_second_factor_page_shows_the_uri_as_an_inline_svg_qr_code(
    app: Litestar,
) -> None:
    await municipality()
    _, admin_secret = await new_user("admin1", "admin")
    async with signed_in(app, "admin1", admin_secret) as c:
        form = await c.get("/admin/users/new")
        r = await c.post(
            "/admin/users/new",
            data={
                "username": "nypolis",
                "display_name": "Ny Polis",
                "role": "police",
                "password": PASSWORD,
                "csrf_token": csrf_from(form.text),
            },
        )
        assert r.status_code == 200, r.text
        secret = shown_secret(r.text)
        match = re.search(r'id="totp-uri">([^<]+)<', r.text)
        assert match is not None
        uri = html.unescape(match.group(1))
        assert f"secret={secret}" in uri
        expected = qr_svg(uri, title="QR-kod för autentiseringsappen")
        assert str(expected) in r.text
        # The secret is in the page once shown, never in a URL the page loads.
        assert not re.search(r'(src|href|action)="[^"]*' + secret, r.text)
        assert r.headers["cache-control"].startswith("no-store")
