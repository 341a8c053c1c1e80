"""The demo data set: fills every table a page reads, loads idempotently, and
keeps its (invented) identities encrypted."""

from __future__ import annotations

from typing import Any

from gvi.accounts import totp
from gvi.accounts.tables import RecoveryCode, User
from gvi.callins.tables import CallIn, Invitation, Notification
from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseStatus,
    DefectorCase,
    GrantApplication,
)
from gvi.enforcement.tables import EnforcementAction
from gvi.groups.tables import GroupRelation
from gvi.incidents.tables import Incident
from gvi.people.tables import Person, PersonIdentity, Protection
from gvi.piccolo_app import TABLES
from gvi.security.crypto import aad, get_keyring, normalise_pin
from gvi.settings import get_settings
from gvi.support.tables import OfferStatus, Provider, SupportOffer
from seeds.demo import DEMO_TOTP_SECRETS, DEMO_USERS, demo_identities, load_demo
from seeds.names import FIRST_NAMES, SURNAMES, luhn_valid
from tests.conftest import engines_only

# Written by the running system, never by a seed (see seeds.demo's docstring).
# analysis_job, import_job: queued by a user, run by a `gvi worker` (gvi.networks.jobs,
# gvi.records.jobs). case_assessment_change: history the app writes when an assessment
# changes; the seeds load cases as they stand. api_token: secrets shown once to the
# person who makes them, never seeded. oidc_link: written at a first provider sign-in.
# saved_view: an analyst's own saved network views, made on /network.
RUNTIME_ONLY = {
    "audit_event",
    "alert",
    "break_glass",
    "analysis_job",
    "import_job",
    "case_assessment_change",
    "api_token",
    "oidc_link",
    "saved_view",
}


async def _row_counts() -> dict[str, int]:
    return {t._meta.tablename: await t.count() for t in TABLES}


async def test_demo_fills_every_table_but_the_runtime_ones(db: None) -> None:
    created = await load_demo()
    counts = await _row_counts()
    empty = sorted(name for name, n in counts.items() if n == 0 and name not in RUNTIME_ONLY)
    assert empty == []
    for name, n in created.items():
        assert n <= counts[name]
    assert 80 <= counts["person"] <= 120
    assert 12 <= counts["criminal_group"] <= 16
    assert counts["municipality"] == 290  # reference data, loaded by migrate
    assert counts["app_user"] == len(DEMO_USERS)
    assert counts["break_glass"] == counts["alert"] == 0


async def _distinct(column: Any) -> set[Any]:
    rows = await column._meta.table.select(column).distinct()
    return {r[column._meta.name] for r in rows}


async def test_demo_covers_every_status_a_page_filters_on(db: None) -> None:
    await load_demo()
    assert await _distinct(SupportOffer.category) == set(SupportOffer.Category)
    assert await _distinct(SupportOffer.status) == set(OfferStatus)
    assert await _distinct(SupportOffer.context) == set(SupportOffer.Context)
    assert await _distinct(DefectorCase.status) == set(CaseStatus)
    assert await _distinct(DefectorCase.police_track_active) == {True, False}
    assert await _distinct(DefectorCase.closure_outcome) == {None, *DefectorCase.Outcome}
    assert await _distinct(GrantApplication.decision) == set(GrantApplication.Decision)
    assert await _distinct(CaseFollowUp.phase) == set(CaseFollowUp.Phase)
    assert await _distinct(Invitation.status) == set(Invitation.Status)
    assert await _distinct(Notification.outcome) == set(Notification.Outcome)
    assert await _distinct(CallIn.status) == {CallIn.Status.held, CallIn.Status.planned}
    assert await _distinct(GroupRelation.kind) == set(GroupRelation.Kind)
    assert await _distinct(Incident.kind) >= {"shooting", "explosion", "stabbing", "threat"}
    assert await _distinct(Provider.kind) == set(Provider.Kind)
    assert await _distinct(Person.protection) >= {
        Protection.none,
        Protection.skyddad_folkbokforing,
        Protection.sekretessmarkering,
    }
    assert await CaseConsent.exists().where(CaseConsent.withdrawn_on.is_not_null())
    # The promise ledger: actions that followed a triggering incident and keep a promise.
    assert await EnforcementAction.exists().where(
        EnforcementAction.promise.is_not_null()
        & EnforcementAction.triggering_incident.is_not_null()
    )


async def test_loading_twice_creates_nothing(db: None) -> None:
    messages: list[str] = []
    first = await load_demo(progress=messages.append)
    assert sum(first.values()) > 1000
    assert messages
    before = await _row_counts()
    second = await load_demo()
    assert sum(second.values()) == 0
    assert await _row_counts() == before


async def test_demo_identities_decrypt_and_are_obviously_invented(db: None) -> None:
    await load_demo()
    keyring = get_keyring()
    expected = {code: (name, pin) for code, name, pin in demo_identities()}
    rows = await PersonIdentity.select(
        PersonIdentity.person,
        PersonIdentity.person.code,
        PersonIdentity.name_enc,
        PersonIdentity.pin_enc,
        PersonIdentity.address_enc,
        PersonIdentity.phone_enc,
        PersonIdentity.pin_index,
    )
    assert len(rows) == await Person.count() == len(expected)
    for row in rows:
        pid = row["person"]
        name = keyring.decrypt(row["name_enc"], aad("person_identity", "name", pid))
        pin = keyring.decrypt(row["pin_enc"], aad("person_identity", "pin", pid))
        address = keyring.decrypt(row["address_enc"], aad("person_identity", "address", pid))
        assert (name, pin) == expected[row["person.code"]]
        first, surname = name.split(" ")
        assert first in FIRST_NAMES
        assert surname in SURNAMES
        assert luhn_valid(pin)
        assert len(normalise_pin(pin)) == 12
        assert normalise_pin(pin)[8] == "9"  # födelsenummer 98x/99x: the demo's mark
        assert "000 00" in address
        if row["phone_enc"] is not None:
            phone = keyring.decrypt(row["phone_enc"], aad("person_identity", "phone", pid))
            assert "070-1740605" <= phone <= "070-1740699"
        assert row["pin_index"] == keyring.blind_index(pin)


async def test_demo_logins_have_encrypted_totp_secrets(db: None) -> None:
    await load_demo()
    keyring = get_keyring()
    users = await User.select(User.id, User.username, User.totp_secret_enc, User.password_hash)
    by_name = {u["username"]: u for u in users}
    for demo in DEMO_USERS:
        row = by_name[demo.username]
        secret = keyring.decrypt(row["totp_secret_enc"], aad("app_user", "totp_secret", row["id"]))
        assert secret == demo.totp_secret
        assert secret in DEMO_TOTP_SECRETS
        assert row["password_hash"].startswith("$argon2id$")
        codes = await RecoveryCode.select().where(RecoveryCode.user == row["id"])
        assert len(codes) == len(demo.recovery_codes)
        for code, stored in zip(
            demo.recovery_codes, sorted(codes, key=lambda c: c["id"]), strict=True
        ):
            assert totp.verify_recovery_code(code, stored["code_hash"])


async def test_network_has_an_unbalanced_triad_and_a_flip(db: None) -> None:
    await load_demo()
    rows = await GroupRelation.select(
        GroupRelation.source_group.name,
        GroupRelation.target_group.name,
        GroupRelation.kind,
        GroupRelation.valid_to,
    )
    current = {
        (frozenset((r["source_group.name"], r["target_group.name"])), r["kind"])
        for r in rows
        if r["valid_to"] is None
    }

    def sign(a: str, b: str) -> str | None:
        for kind in ("alliance", "rivalry"):
            if (frozenset((a, b)), kind) in current:
                return kind
        return None

    assert sign("Demoligan", "Exempelnätverket Väst") == "alliance"
    assert sign("Exempelnätverket Väst", "Låtsaskartellen") == "alliance"
    assert sign("Demoligan", "Låtsaskartellen") == "rivalry"
    kinds_over_time = {
        r["kind"]
        for r in rows
        if {r["source_group.name"], r["target_group.name"]}
        == {"Fiktiva Falkarna", "Testgänget Nord"}
    }
    assert kinds_over_time == {"alliance", "rivalry"}


@engines_only("sqlite")
async def test_no_plaintext_identity_in_the_database_file(db: None, no_job_worker: None) -> None:
    await load_demo()
    path = get_settings().sqlite_path
    raw = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    identities = demo_identities()
    assert identities
    for _code, name, pin in identities:
        for needle in (name, pin, normalise_pin(pin)):
            for encoding in ("utf-8", "utf-16-le"):
                assert needle.encode(encoding) not in raw, "plaintext identity in the database"
    for secret in DEMO_TOTP_SECRETS:
        assert secret.encode() not in raw, "plaintext TOTP secret in the database"
    # The pseudonymous code is not secret: it is there (proves the scan reads real data).
    assert identities[0][0].encode() in raw
