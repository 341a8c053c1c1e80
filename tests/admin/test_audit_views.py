"""The audit views: who read a person, what a user read, unusual reading, and
checking the chain. Reading the trail is itself recorded."""

from __future__ import annotations

from litestar import Litestar

from gvi.audit.services import verify
from gvi.people.tables import Person
from tests.admin.support import audit_rows, head_seq, municipality, new_user
from tests.clients import signed_in, token


async def _people(town: int, *codes: str) -> list[int]:
    ids = []
    for code in codes:
        person = Person(code=code, home_municipality=town)
        await person.save()
        ids.append(int(person.id))
    return ids


async def test_who_read_a_person_after_a_read_through_the_api(app: Litestar) -> None:
    town = await municipality()
    admin_id, admin_secret = await new_user("admin1", "admin")
    _, police_secret = await new_user("polis1", "police")
    person_id, _ = await _people(town, "P-7Q4K", "P-9ZZZ")
    async with signed_in(app, "polis1", police_secret) as police:
        assert (await police.get(f"/api/v1/people/{person_id}")).status_code == 200
    start = await head_seq()
    async with signed_in(app, "admin1", admin_secret) as admin:
        csrf = await token(admin, "/admin/audit")
        r = await admin.post("/admin/audit/person", data={"code": " p-7q4k ", "csrf_token": csrf})
        assert r.status_code == 200, r.text
        assert "polis1" in r.text
        assert "Person läst" in r.text  # the tag by name, not the code person:read
        assert "person:read" not in r.text
        assert "P-7Q4K" in r.text
        missing = await admin.post(
            "/admin/audit/person", data={"code": "P-2222", "csrf_token": csrf}
        )
        assert "Ingen person har koden" in missing.text
        # Not a code (a personnummer typed by mistake): refused and not echoed back.
        wrong = await admin.post(
            "/admin/audit/person", data={"code": "19900101-1234", "csrf_token": csrf}
        )
        assert wrong.status_code == 400
        assert "19900101-1234" not in wrong.text
        assert 'aria-describedby="code-error' in wrong.text
    (looked,) = await audit_rows(start, "audit:read", person_id=person_id)
    assert looked["actor_id"] == admin_id
    assert looked["details"]["view"] == "person_trail"


async def test_what_a_user_read_and_unusual_reading(app: Litestar) -> None:
    town = await municipality()
    admin_id, admin_secret = await new_user("admin1", "admin")
    _, police_secret = await new_user("polis1", "police")
    first, second = await _people(town, "P-AAAA", "P-BBBB")
    async with signed_in(app, "polis1", police_secret) as police:
        for person_id in (first, second):
            assert (await police.get(f"/api/v1/people/{person_id}")).status_code == 200
    start = await head_seq()
    async with signed_in(app, "admin1", admin_secret) as admin:
        reads = await admin.get("/admin/audit?view=user&username=polis1")
        assert reads.status_code == 200
        assert "P-AAAA" in reads.text
        assert "P-BBBB" in reads.text
        nobody = await admin.get("/admin/audit?view=user&username=finns-inte")
        assert "Det finns ingen användare" in nobody.text

        default = await admin.get("/admin/audit?view=unusual")
        assert default.status_code == 200
        assert 'value="50"' in default.text
        unusual = await admin.get("/admin/audit?view=unusual&threshold=1&days=1")
        assert unusual.status_code == 200
        assert "polis1" in unusual.text
        bad = await admin.get("/admin/audit?view=unusual&threshold=many")
        assert bad.status_code == 400
        assert 'aria-describedby="threshold-error"' in bad.text
    views = [r["details"]["view"] for r in await audit_rows(start, "audit:read", actor_id=admin_id)]
    assert views.count("user_reads") == 2
    assert views.count("unusual") == 2


async def test_verify_the_chain(app: Litestar) -> None:
    await municipality()
    admin_id, admin_secret = await new_user("admin1", "admin")
    async with signed_in(app, "admin1", admin_secret) as admin:
        csrf = await token(admin, "/admin/audit")
        start = await head_seq()
        r = await admin.post(
            "/admin/audit/verify", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert r.status_code == 303
        shown = await admin.get(r.headers["location"])
    (checked,) = await audit_rows(start, "audit:verify", actor_id=admin_id)
    # Other suites may have tampered with the shared trail on purpose: the page
    # must report what verify() finds, whichever it is.
    result = await verify()
    if checked["details"]["ok"]:
        assert "Kedjan är hel" in shown.text
    else:
        assert "Kedjan är bruten" in shown.text
        assert f"nummer {result.first_broken_seq}" in shown.text
    assert checked["details"]["first_broken_seq"] == result.first_broken_seq
