"""The national-scale generator: deterministic per seed, sized as asked, idempotent."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from piccolo.columns import Bytea

from gvi.groups.tables import GroupRelation, Membership
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person, PersonIdentity
from gvi.piccolo_app import TABLES
from gvi.security.crypto import aad, get_keyring
from seeds.demo import load_demo
from seeds.national import load_national
from tests.database import empty_database

SMALL: dict[str, int] = {"people": 2000, "groups": 40, "ties": 6000}
SKIP_TABLES = {"audit_event"}
SKIP_COLUMNS = {"created_at", "updated_at"}


def _canonical(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return repr(value)


async def _content_hash() -> str:
    """Every table's rows in id order, without load-time stamps and ciphertexts
    (their nonces are random by design)."""
    digest = hashlib.sha256()
    for table in TABLES:
        if table._meta.tablename in SKIP_TABLES:
            continue
        columns = [
            c
            for c in table._meta.columns
            if c._meta.db_column_name not in SKIP_COLUMNS and not isinstance(c, Bytea)
        ]
        rows = await table.select(*columns).order_by(table._meta.primary_key)
        digest.update(table._meta.tablename.encode())
        for row in rows:
            digest.update("|".join(_canonical(row[k]) for k in sorted(row)).encode())
    return digest.hexdigest()


async def test_same_seed_same_data_other_seed_other_data(db: None) -> None:
    await load_national(seed=7, **SMALL)
    first = await _content_hash()
    await empty_database()
    await load_national(seed=7, **SMALL)
    assert await _content_hash() == first
    await empty_database()
    await load_national(seed=8, **SMALL)
    assert await _content_hash() != first


async def test_sizes_follow_the_request(db: None) -> None:
    stages: list[tuple[str, int, int]] = []
    counts = await load_national(seed=3, progress=lambda *a: stages.append(a), **SMALL)
    assert await Person.count() == counts["person"] == SMALL["people"]
    assert await PersonIdentity.count() == SMALL["people"]
    assert counts["criminal_group"] == SMALL["groups"]
    relations = await GroupRelation.count()
    assert 3 * SMALL["groups"] <= relations <= 5 * SMALL["groups"]
    assert await Membership.count() + relations == SMALL["ties"]
    assert 100 <= counts["incident"] <= 400
    assert counts["defector_case"] > 30
    assert counts["grant_application"] > 0
    assert counts["support_offer_status_change"] > counts["support_offer"]
    for table in TABLES:
        name = table._meta.tablename
        if name not in {"audit_event", "alert", "break_glass", "disclosure", "app_user",
                        "user_municipality", "user_unit", "recovery_code",
                        "analysis_job", "import_job", "case_assessment_change",
                        "api_token", "oidc_link", "saved_view"}:  # fmt: skip
            assert await table.count() > 0, name
    assert stages
    assert stages[-1][1] == stages[-1][2] == sum(counts.values())


async def test_loading_a_seed_twice_adds_nothing(db: None) -> None:
    await load_national(seed=5, **SMALL)
    before = {t._meta.tablename: await t.count() for t in TABLES}
    assert await load_national(seed=5, **SMALL) == {}
    assert {t._meta.tablename: await t.count() for t in TABLES} == before


async def test_identities_decrypt(db: None) -> None:
    await load_national(seed=2, people=50, groups=4, ties=120)
    keyring = get_keyring()
    rows = await PersonIdentity.select(
        PersonIdentity.person, PersonIdentity.name_enc, PersonIdentity.pin_enc
    )
    assert len(rows) == 50
    for row in rows:
        pid = row["person"]
        name = keyring.decrypt(row["name_enc"], aad("person_identity", "name", pid))
        pin = keyring.decrypt(row["pin_enc"], aad("person_identity", "pin", pid))
        assert name
        assert len(pin) == 13


async def test_demo_fits_on_top_and_ids_stay_free_for_the_app(db: None) -> None:
    await load_national(seed=1, **SMALL)
    created = await load_demo()
    # The municipalities are reference data; every demo person is new.
    assert "municipality" not in created
    assert created["person"] == 100
    assert await Municipality.count() == 290  # reference data, never created by seeds
    # The ORM's own id allocation (a sequence on PostgreSQL) does not collide.
    home = await Municipality.select(Municipality.id).where(Municipality.code == "0123").first()
    assert home is not None
    person = Person(code="P-TEST", home_municipality=home["id"], birth_year=2000)
    await person.save()
    assert person.id > 2000
