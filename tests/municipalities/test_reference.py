"""SCB's municipalities as reference data: the shipped list, and `gvi migrate` loading it."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

from gvi.audit.tables import AuditEvent
from gvi.municipalities.reference import reference_municipalities, sync_municipalities
from gvi.municipalities.tables import Municipality

COUNTY_PREFIX = {
    "01": "Stockholms län",
    "03": "Uppsala län",
    "04": "Södermanlands län",
    "05": "Östergötlands län",
    "06": "Jönköpings län",
    "07": "Kronobergs län",
    "08": "Kalmar län",
    "09": "Gotlands län",
    "10": "Blekinge län",
    "12": "Skåne län",
    "13": "Hallands län",
    "14": "Västra Götalands län",
    "17": "Värmlands län",
    "18": "Örebro län",
    "19": "Västmanlands län",
    "20": "Dalarnas län",
    "21": "Gävleborgs län",
    "22": "Västernorrlands län",
    "23": "Jämtlands län",
    "24": "Västerbottens län",
    "25": "Norrbottens län",
}


def test_the_list_is_scbs_290_municipalities_in_21_counties() -> None:
    rows = reference_municipalities()
    assert len(rows) == 290
    assert len({r.code for r in rows}) == 290
    assert len({r.name for r in rows}) == 290
    assert {r.county for r in rows} == set(COUNTY_PREFIX.values())
    for r in rows:
        assert re.fullmatch(r"[0-9]{4}", r.code), r.code
        assert COUNTY_PREFIX[r.code[:2]] == r.county, r.code
    by_code = {r.code: r.name for r in rows}
    assert by_code["0114"] == "Upplands Väsby"
    assert by_code["2023"] == "Malung-Sälen"
    assert by_code["0330"] == "Knivsta"
    assert by_code["0980"] == "Gotland"


def test_the_source_is_stated() -> None:
    text = (Path(__file__).parents[2] / "gvi" / "data" / "municipalities.csv").read_text("utf-8")
    head = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    assert "SCB" in head
    assert "2025" in head
    assert "290" in head


async def test_migrate_loaded_them_and_a_second_run_changes_nothing(db: None) -> None:
    assert await Municipality.count().where(Municipality.archived_at.is_null()) == 290
    row = await Municipality.select().where(Municipality.code == "0123").first()
    assert row is not None
    assert row["name"] == "Järfälla"
    assert row["county"] == "Stockholms län"
    last = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    result = await sync_municipalities()
    assert not result.changed
    # Nothing changed, so nothing is recorded.
    assert not await AuditEvent.exists().where(AuditEvent.seq > (last["seq"] if last else 0))


async def test_sync_inserts_updates_in_place_and_archives_never_deletes(db: None) -> None:
    before = {
        r["code"]: r["id"] for r in await Municipality.select(Municipality.id, Municipality.code)
    }
    await Municipality.update({Municipality.name: "Sigtuna gamla"}).where(
        Municipality.code == "0191"
    )
    await Municipality.update({Municipality.county: "Fel län"}).where(Municipality.code == "0123")
    await Municipality.delete().where(Municipality.code == "2584")
    await Municipality(code="0199", name="Nedlagd kommun", county="Stockholms län").save()

    result = await sync_municipalities()
    assert (result.inserted, result.updated, result.archived) == (1, 2, 1)
    rows = {r["code"]: r for r in await Municipality.select()}
    # Updated in place: same id, so units and cases still point at it.
    assert rows["0191"]["id"] == before["0191"]
    assert rows["0191"]["name"] == "Sigtuna"
    assert rows["0123"]["county"] == "Stockholms län"
    assert rows["2584"]["name"] == "Kiruna"
    # A code no longer on the list is archived, not deleted.
    assert rows["0199"]["archived_at"] is not None
    event = (
        await AuditEvent.select()
        .where(AuditEvent.action == "org:municipalities:sync")
        .order_by(AuditEvent.seq, ascending=False)
        .first()
    )
    assert event is not None
    assert event["actor_id"] is None

    again = await sync_municipalities()
    assert not again.changed


def test_a_fresh_production_migrate_loads_290(tmp_path: Path) -> None:
    """The check the project's hook runs: production mode, empty database, no demo."""
    db = tmp_path / "p.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GVI_")},
        "GVI_ENV": "production",
        "GVI_VAR_DIR": str(tmp_path),
        "GVI_DATABASE_URL": f"sqlite:///{db}",
        "PICCOLO_CONF": "gvi.piccolo_conf",
        "GVI_DATA_KEY": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GVI_SECRET_KEY": secrets.token_urlsafe(36),
        "GVI_ALLOWED_HOSTS": "gvi.example.test",
    }
    gvi = Path(sys.executable).parent / "gvi"
    for run in range(2):
        done = subprocess.run(
            [str(gvi), "migrate"], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        # No audit key yet (as the hook runs it): the list loads all the same, and
        # the operator is told that it went unaudited; a second run changes nothing.
        assert ("no audit key is configured yet" in done.stderr) is (run == 0)
        with sqlite3.connect(db) as conn:
            (count,) = conn.execute("select count(*) from municipality").fetchone()
            (live,) = conn.execute(
                "select count(*) from municipality where archived_at is null"
            ).fetchone()
            (events,) = conn.execute("select count(*) from audit_event").fetchone()
        assert count == live == 290
        assert events == 0


def test_a_production_migrate_with_the_audit_keys_audits_the_load(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite3"
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GVI_")},
        "GVI_ENV": "production",
        "GVI_VAR_DIR": str(tmp_path),
        "GVI_DATABASE_URL": f"sqlite:///{db}",
        "PICCOLO_CONF": "gvi.piccolo_conf",
        "GVI_DATA_KEY": "k1:" + key,
        "GVI_AUDIT_KEY": "a1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GVI_AUDIT_SIGNING_KEY": "s1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GVI_SECRET_KEY": secrets.token_urlsafe(36),
        "GVI_ALLOWED_HOSTS": "gvi.example.test",
    }
    gvi = Path(sys.executable).parent / "gvi"
    done = subprocess.run(
        [str(gvi), "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "no audit key" not in done.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select action, details from audit_event").fetchall()
    assert [r[0] for r in rows] == ["org:municipalities:sync"]
    assert json.loads(rows[0][1])["inserted"] == 290
    verify = subprocess.run(
        [str(gvi), "audit", "verify"], env=env, capture_output=True, text=True, timeout=120
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
