""" "Kvittera valda": several alerts acknowledged together, one audit row each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from litestar import Litestar

from gvi.access.principal import Principal
from gvi.access.tables import Alert
from gvi.accounts.tables import Role
from gvi.admin import alerts
from gvi.audit.events import AuditAction
from gvi.core.failures import NotVisible
from tests.admin.support import audit_rows, head_seq, new_user
from tests.clients import signed_in, token


async def _lockout(user_id: int) -> int:
    alert = Alert(
        kind=Alert.Kind.lockout,
        raised_at=datetime.now(UTC),
        subject_user=user_id,
        details={"audit_seq": -1, "actor_id": user_id, "by": "ip", "seconds": 60},
    )
    await alert.save()
    return int(alert.id)


async def _open(*ids: int) -> set[int]:
    rows = await Alert.select(Alert.id).where(
        Alert.id.is_in(list(ids)) & Alert.acknowledged_at.is_null()
    )
    return {r["id"] for r in rows}


def _admin(user_id: int) -> Principal:
    return Principal(user_id=user_id, username="admin1", role=Role.admin)


async def test_alerts_are_acknowledged_together_each_audited(db: None) -> None:
    admin_id, _ = await new_user("admin1", "admin")
    police_id, _ = await new_user("polis1", "police")
    a, b, c = [await _lockout(police_id) for _ in range(3)]
    start = await head_seq()
    assert await alerts.acknowledge_alerts(_admin(admin_id), [a, b]) == 2
    assert await _open(a, b, c) == {c}
    rows = await audit_rows(start, AuditAction.alert_acknowledge, actor_id=admin_id)
    assert sorted(int(r["target_id"]) for r in rows) == sorted([a, b])
    # One already acknowledged is not counted, and not audited again.
    assert await alerts.acknowledge_alerts(_admin(admin_id), [b, c]) == 1
    assert await _open(a, b, c) == set()
    assert len(await audit_rows(start, AuditAction.alert_acknowledge)) == 3


async def test_a_missing_alert_leaves_the_batch_unacknowledged(db: None) -> None:
    admin_id, _ = await new_user("admin1", "admin")
    a = await _lockout(admin_id)
    start = await head_seq()
    with pytest.raises(NotVisible):
        await alerts.acknowledge_alerts(_admin(admin_id), [a, a + 1000])
    assert await _open(a) == {a}
    assert await audit_rows(start, AuditAction.alert_acknowledge) == []


async def test_the_alert_list_acknowledges_the_ticked_ones(app: Litestar) -> None:
    _, secret = await new_user("admin1", "admin")
    police_id, police_secret = await new_user("polis1", "police")
    a, b = await _lockout(police_id), await _lockout(police_id)
    async with signed_in(app, "admin1", secret) as admin:
        page = await admin.get("/admin/alerts")
        assert 'action="/admin/alerts/acknowledge"' in page.text
        assert f'value="{a}" form="alerts-bulk"' in page.text
        csrf = await token(admin, "/admin/alerts")
        r = await admin.post("/admin/alerts/acknowledge", data={"csrf_token": csrf})
        assert r.status_code == 400
        assert "Kryssa i minst en rad först." in r.text
        r = await admin.post(
            "/admin/alerts/acknowledge",
            data={"csrf_token": csrf, "selected": [str(a), str(b)]},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert "2 aviseringar är kvitterade." in (await admin.get("/admin/alerts")).text
    assert await _open(a, b) == set()
    # Not an admin: the route does not exist for them.
    async with signed_in(app, "polis1", police_secret) as police:
        csrf = await token(police)
        r = await police.post(
            "/admin/alerts/acknowledge", data={"csrf_token": csrf, "selected": [str(a)]}
        )
        assert r.status_code in (403, 404)
