"""User administration through the pages: create, disable, role, second factor,
sessions, unlock, optimistic locking, and the audit row of every change."""

from __future__ import annotations

from litestar import Litestar

from gvi.accounts.tables import RecoveryCode, User, UserMunicipality
from gvi.admin.services import CONFLICT_MESSAGE
from tests.admin.support import (
    PASSWORD,
    audit_rows,
    fail_logins,
    head_seq,
    municipality,
    new_user,
    shown_recovery_codes,
    shown_secret,
    user_row,
    version,
)
from tests.clients import csrf_from, signed_in, token


async def _admin(app: Litestar) -> tuple[int, str | None]:
    await municipality()
    return await new_user("admin1", "admin")


async def test_admin_creates_user_and_the_new_user_signs_in_with_the_shown_secret(
    app: Litestar,
) -> None:
    admin_id, admin_secret = await _admin(app)
    other = await municipality("0163")
    start = await head_seq()
    async with signed_in(app, "admin1", admin_secret) as c:
        form = await c.get("/admin/users/new")
        assert form.status_code == 200
        assert "Upplands Väsby" in form.text
        r = await c.post(
            "/admin/users/new",
            data={
                "username": "Nypolis",
                "display_name": "Ny  Polis",
                "role": "police",
                "unit": "",
                "municipalities": str(other),
                "password": PASSWORD,
                "csrf_token": csrf_from(form.text),
            },
        )
        assert r.status_code == 200, r.text
        secret = shown_secret(r.text)
        assert len(shown_recovery_codes(r.text)) == 10
        assert "otpauth://totp/" in r.text
        user = await User.objects().where(User.username == "nypolis").first()
        assert user is not None
        assert user.display_name == "Ny Polis"
        assert user.role == "police"
        scope = await UserMunicipality.select(UserMunicipality.municipality).where(
            UserMunicipality.user == user.id
        )
        assert [row["municipality"] for row in scope] == [other]
        # Shown once: the user's page never shows it again.
        detail = await c.get(f"/admin/users/{user.id}")
        assert secret not in detail.text
    async with signed_in(app, "nypolis", secret) as newcomer:
        assert (await newcomer.get("/", follow_redirects=False)).status_code == 200
    (created,) = await audit_rows(start, "user:create", target_id=user.id)
    assert created["actor_id"] == admin_id


async def test_form_errors_keep_what_was_typed_but_not_the_password(app: Litestar) -> None:
    _, admin_secret = await _admin(app)
    async with signed_in(app, "admin1", admin_secret) as c:
        form = await c.get("/admin/users/new")
        r = await c.post(
            "/admin/users/new",
            data={
                "username": "admin1",
                "display_name": "Kvar Efter Fel",
                "role": "nobody",
                "municipalities": ["999999", "x"],
                "password": "kort",
                "csrf_token": csrf_from(form.text),
            },
        )
    assert r.status_code == 400
    assert 'value="Kvar Efter Fel"' in r.text
    assert 'value="admin1"' in r.text
    assert "kort" not in r.text.replace("kortare", "")
    for field in ("username", "role", "municipalities", "password"):
        assert f'id="{field}-error"' in r.text, field
        assert f'aria-describedby="{field}-error' in r.text, field
    assert "upptaget" in r.text
    assert await User.count().where(User.username == "admin1") == 1


async def test_disabling_ends_the_users_live_session_at_once(app: Litestar) -> None:
    admin_id, admin_secret = await _admin(app)
    police_id, police_secret = await new_user("polis1", "police")
    start = await head_seq()
    async with (
        signed_in(app, "polis1", police_secret) as police,
        signed_in(app, "admin1", admin_secret) as admin,
    ):
        assert (await police.get("/", follow_redirects=False)).status_code == 200
        page = await admin.get(f"/admin/users/{police_id}")
        data = {"csrf_token": csrf_from(page.text), "version": str(await version(police_id))}
        # Without "Jag förstår" nothing happens.
        unconfirmed = await admin.post(f"/admin/users/{police_id}/disable", data=data)
        assert unconfirmed.status_code == 400
        assert 'aria-describedby="disable-confirm-error"' in unconfirmed.text
        assert (await user_row(police_id))["is_active"]
        assert (await police.get("/", follow_redirects=False)).status_code == 200

        r = await admin.post(
            f"/admin/users/{police_id}/disable",
            data={**data, "confirm": "yes"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"/admin/users/{police_id}"
        after = await police.get("/", follow_redirects=False)
        assert after.status_code == 303
        assert after.headers["location"] == "/login"
        row = await user_row(police_id)
        assert not row["is_active"]
        shown = await admin.get(f"/admin/users/{police_id}")
        assert "Avstängd" in shown.text

        enable = await admin.post(
            f"/admin/users/{police_id}/enable",
            data={"csrf_token": csrf_from(shown.text), "version": str(row["version"])},
            follow_redirects=False,
        )
        assert enable.status_code == 303
        assert (await user_row(police_id))["is_active"]
    (disabled,) = await audit_rows(start, "user:disable", target_id=police_id)
    assert disabled["actor_id"] == admin_id
    assert disabled["details"] == {"sessions_ended": True}
    assert await audit_rows(start, "user:enable", target_id=police_id, actor_id=admin_id)


async def test_role_change_ends_sessions(app: Litestar) -> None:
    admin_id, admin_secret = await _admin(app)
    police_id, police_secret = await new_user("polis1", "police")
    start = await head_seq()
    async with (
        signed_in(app, "polis1", police_secret) as police,
        signed_in(app, "admin1", admin_secret) as admin,
    ):
        page = await admin.get(f"/admin/users/{police_id}")
        r = await admin.post(
            f"/admin/users/{police_id}/role",
            data={
                "csrf_token": csrf_from(page.text),
                "version": str(await version(police_id)),
                "role": "analyst",
                "confirm": "yes",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        after = await police.get("/", follow_redirects=False)
        assert after.status_code == 303
        assert after.headers["location"] == "/login"
    assert (await user_row(police_id))["role"] == "analyst"
    (changed,) = await audit_rows(start, "user:role_change", target_id=police_id)
    assert changed["actor_id"] == admin_id
    assert changed["details"] == {"from": "police", "to": "analyst", "sessions_ended": True}


async def test_promotion_to_a_role_that_needs_a_second_factor_enrols_one(app: Litestar) -> None:
    _, admin_secret = await _admin(app)
    analyst_id, analyst_secret = await new_user("analytiker1", "analyst")
    assert analyst_secret is None
    start = await head_seq()
    async with signed_in(app, "admin1", admin_secret) as admin:
        page = await admin.get(f"/admin/users/{analyst_id}")
        r = await admin.post(
            f"/admin/users/{analyst_id}/role",
            data={
                "csrf_token": csrf_from(page.text),
                "version": str(await version(analyst_id)),
                "role": "coordinator",
                "confirm": "yes",
            },
        )
        assert r.status_code == 200, r.text
        secret = shown_secret(r.text)
    async with signed_in(app, "analytiker1", secret) as promoted:
        assert (await promoted.get("/", follow_redirects=False)).status_code == 200
    assert await audit_rows(start, "auth:totp_enrolled", target_id=analyst_id)


async def test_stale_version_is_a_409_conflict_and_changes_nothing(app: Litestar) -> None:
    _, admin_secret = await _admin(app)
    police_id, _ = await new_user("polis1", "police")
    async with signed_in(app, "admin1", admin_secret) as admin:
        page = await admin.get(f"/admin/users/{police_id}")
        shown_version = await version(police_id)
        csrf = csrf_from(page.text)
        # Someone else acts first.
        first = await admin.post(
            f"/admin/users/{police_id}/end-sessions",
            data={"csrf_token": csrf, "version": str(shown_version), "confirm": "yes"},
            follow_redirects=False,
        )
        assert first.status_code == 303
        before = await user_row(police_id)
        start = await head_seq()
        for action, extra in (
            ("disable", {"confirm": "yes"}),
            ("role", {"confirm": "yes", "role": "analyst"}),
            ("reset-totp", {"confirm": "yes"}),
            ("unlock", {}),
            ("enable", {}),
        ):
            stale = await admin.post(
                f"/admin/users/{police_id}/{action}",
                data={"csrf_token": csrf, "version": str(shown_version), **extra},
            )
            assert stale.status_code == 409, action
            assert CONFLICT_MESSAGE in stale.text
        assert await user_row(police_id) == before
        assert await head_seq() == start


async def test_an_admin_cannot_disable_or_demote_themselves(app: Litestar) -> None:
    admin_id, admin_secret = await _admin(app)
    async with signed_in(app, "admin1", admin_secret) as admin:
        csrf = await token(admin, f"/admin/users/{admin_id}")
        current = str(await version(admin_id))
        disable = await admin.post(
            f"/admin/users/{admin_id}/disable",
            data={"csrf_token": csrf, "version": current, "confirm": "yes"},
        )
        assert disable.status_code == 400
        assert "Du kan inte stänga av ditt eget konto" in disable.text
        demote = await admin.post(
            f"/admin/users/{admin_id}/role",
            data={"csrf_token": csrf, "version": current, "confirm": "yes", "role": "analyst"},
        )
        assert demote.status_code == 400
        assert "Du kan inte ändra din egen roll" in demote.text
        assert (await admin.get("/", follow_redirects=False)).status_code == 200
    row = await user_row(admin_id)
    assert row["is_active"]
    assert row["role"] == "admin"


async def test_reset_second_factor_shows_new_codes_once_and_ends_sessions(app: Litestar) -> None:
    admin_id, admin_secret = await _admin(app)
    police_id, old_secret = await new_user("polis1", "police")
    start = await head_seq()
    async with (
        signed_in(app, "polis1", old_secret) as police,
        signed_in(app, "admin1", admin_secret) as admin,
    ):
        csrf = await token(admin, f"/admin/users/{police_id}")
        r = await admin.post(
            f"/admin/users/{police_id}/reset-totp",
            data={"csrf_token": csrf, "version": str(await version(police_id)), "confirm": "yes"},
        )
        assert r.status_code == 200, r.text
        new_secret = shown_secret(r.text)
        assert new_secret != old_secret
        assert len(shown_recovery_codes(r.text)) == 10
        assert (await police.get("/", follow_redirects=False)).status_code == 303
    assert await RecoveryCode.count().where(RecoveryCode.user == police_id) == 10
    async with signed_in(app, "polis1", new_secret) as police:
        assert (await police.get("/", follow_redirects=False)).status_code == 200
    (enrolled,) = await audit_rows(start, "auth:totp_enrolled", target_id=police_id)
    assert enrolled["actor_id"] == admin_id


async def test_end_all_sessions(app: Litestar) -> None:
    admin_id, admin_secret = await _admin(app)
    police_id, police_secret = await new_user("polis1", "police")
    start = await head_seq()
    async with (
        signed_in(app, "polis1", police_secret) as police,
        signed_in(app, "admin1", admin_secret) as admin,
    ):
        csrf = await token(admin, f"/admin/users/{police_id}")
        r = await admin.post(
            f"/admin/users/{police_id}/end-sessions",
            data={"csrf_token": csrf, "version": str(await version(police_id)), "confirm": "yes"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert (await police.get("/", follow_redirects=False)).status_code == 303
    assert (await user_row(police_id))["is_active"]
    assert await audit_rows(start, "auth:logout_everywhere", target_id=police_id, actor_id=admin_id)


async def test_unlock_lifts_a_lockout(app: Litestar) -> None:
    admin_id, admin_secret = await _admin(app)
    police_id, police_secret = await new_user("polis1", "police")
    await fail_logins(app, "polis1")
    start = await head_seq()
    async with signed_in(app, "admin1", admin_secret) as admin:
        listing = await admin.get("/admin/users?q=polis")
        assert "polis1" in listing.text
        page = await admin.get(f"/admin/users/{police_id}")
        assert "Inloggning spärrad</dt><dd>Ja" in page.text
        r = await admin.post(
            f"/admin/users/{police_id}/unlock",
            data={"csrf_token": csrf_from(page.text), "version": str(await version(police_id))},
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = await admin.get(f"/admin/users/{police_id}")
        assert "Inloggning spärrad</dt><dd>Nej" in page.text
    async with signed_in(app, "polis1", police_secret) as police:
        assert (await police.get("/", follow_redirects=False)).status_code == 200
    assert await audit_rows(start, "user:unlock", target_id=police_id, actor_id=admin_id)


async def test_edit_changes_scope_and_ends_sessions(app: Litestar) -> None:
    admin_id, admin_secret = await _admin(app)
    other = await municipality("0163")
    police_id, police_secret = await new_user("polis1", "police")
    start = await head_seq()
    async with (
        signed_in(app, "polis1", police_secret) as police,
        signed_in(app, "admin1", admin_secret) as admin,
    ):
        csrf = await token(admin, f"/admin/users/{police_id}")
        r = await admin.post(
            f"/admin/users/{police_id}/edit",
            data={
                "csrf_token": csrf,
                "version": str(await version(police_id)),
                "display_name": "Polis Ett",
                "unit": "",
                "municipalities": str(other),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert (await police.get("/", follow_redirects=False)).status_code == 303
    assert (await user_row(police_id))["display_name"] == "Polis Ett"
    scope = await UserMunicipality.select(UserMunicipality.municipality).where(
        UserMunicipality.user == police_id
    )
    assert [row["municipality"] for row in scope] == [other]
    (updated,) = await audit_rows(start, "user:update", target_id=police_id, actor_id=admin_id)
    assert updated["details"]["scope_changed"] is True


async def test_user_list_searches_and_pages(app: Litestar) -> None:
    _, admin_secret = await _admin(app)
    await new_user("polis1", "police")
    await new_user("analytiker1", "analyst")
    async with signed_in(app, "admin1", admin_secret) as admin:
        everyone = await admin.get("/admin/users")
        assert everyone.status_code == 200
        for name in ("admin1", "polis1", "analytiker1"):
            assert name in everyone.text
        assert "<caption" in everyone.text
        some = await admin.get("/admin/users?q=POLIS")
        assert "polis1" in some.text
        assert "analytiker1" not in some.text
        beyond = await admin.get("/admin/users?page=9")
        assert beyond.status_code == 200
        assert "polis1" not in beyond.text
