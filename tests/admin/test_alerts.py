"""Alerts: break-the-glass grants and lockouts reach the admins, who acknowledge them."""

from __future__ import annotations

import json

from litestar import Litestar

from gvi.access.tables import Alert
from gvi.people.tables import Person, Protection
from tests.admin.support import audit_rows, fail_logins, head_seq, municipality, new_user
from tests.clients import signed_in, token

REASON = "Hotbild mot personen, behöver adressen för skyddsbedömning"


async def test_break_glass_alert_is_listed_and_acknowledged(app: Litestar) -> None:
    town = await municipality()
    admin_id, admin_secret = await new_user("admin1", "admin")
    _, police_secret = await new_user("polis1", "police")
    person = Person(code="P-SKYD", home_municipality=town, protection=Protection.sekretessmarkering)
    await person.save()
    async with signed_in(app, "polis1", police_secret) as police:
        csrf = await token(police)
        r = await police.post(
            f"/api/v1/people/{person.id}/break-glass",
            json={"reason": REASON},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 201, r.text
    alert = await Alert.objects().where(Alert.kind == Alert.Kind.break_glass).first()
    assert alert is not None
    start = await head_seq()
    async with signed_in(app, "admin1", admin_secret) as admin:
        page = await admin.get("/admin/alerts")
        assert page.status_code == 200
        assert "polis1" in page.text
        assert "P-SKYD" in page.text
        assert REASON in page.text
        assert f'action="/admin/alerts/{alert.id}/acknowledge"' in page.text
        # Filtered by kind: another kind hides it (and says so), its own kind keeps it.
        page = await admin.get("/admin/alerts", params={"kind": "lockout"})
        assert f'action="/admin/alerts/{alert.id}/acknowledge"' not in page.text
        lockouts = await Alert.exists().where(
            (Alert.kind == Alert.Kind.lockout) & Alert.acknowledged_at.is_null()
        )
        assert ("Inga okvitterade aviseringar av den typen." in page.text) is not lockouts
        assert '<option value="lockout" selected>' in page.text
        page = await admin.get("/admin/alerts", params={"kind": "break_glass"})
        assert f'action="/admin/alerts/{alert.id}/acknowledge"' in page.text
        page = await admin.get("/admin/alerts", params={"kind": "no-such-kind"})
        assert f'action="/admin/alerts/{alert.id}/acknowledge"' in page.text
        csrf = await token(admin, "/admin/alerts")
        ack = await admin.post(
            f"/admin/alerts/{alert.id}/acknowledge",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert ack.status_code == 303
        page = await admin.get("/admin/alerts")
        assert "Aviseringen är kvitterad" in page.text
        assert f'action="/admin/alerts/{alert.id}/acknowledge"' not in page.text
        again = await admin.post(f"/admin/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf})
        assert "redan kvitterad" in again.text
        missing = await admin.post("/admin/alerts/999999/acknowledge", data={"csrf_token": csrf})
        assert missing.status_code == 404
    row = await Alert.select().where(Alert.id == alert.id).first()
    assert row is not None
    assert row["acknowledged_by"] == admin_id
    assert row["acknowledged_at"] is not None
    (acknowledged,) = await audit_rows(start, "alert:acknowledge", target_id=alert.id)
    assert acknowledged["actor_id"] == admin_id
    assert acknowledged["details"] == {"kind": "break_glass"}


async def test_a_lockout_becomes_an_alert_once(app: Litestar) -> None:
    await municipality()
    _, admin_secret = await new_user("admin1", "admin")
    police_id, _ = await new_user("polis1", "police")
    # The trail outlives each test's users (and their ids): count only this test's events.
    start = await head_seq()
    await fail_logins(app, "polis1")
    async with signed_in(app, "admin1", admin_secret) as admin:
        first = await admin.get("/admin/alerts")
        assert "Spärrad inloggning" in first.text
        assert "polis1" in first.text
        await admin.get("/admin/alerts")
    lockouts = await Alert.select(Alert.details).where(
        (Alert.kind == Alert.Kind.lockout) & (Alert.subject_user == police_id)
    )
    seqs = [json.loads(row["details"])["audit_seq"] for row in lockouts]
    assert len([seq for seq in seqs if seq > start]) == 1
