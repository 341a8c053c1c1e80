"""Issue 21, part 1: the start page per role shows what waits for the user within
their scope, and the menu counts the user's own due tasks ("Uppgifter (2)")."""

from __future__ import annotations

from litestar import Litestar

from gvi.accounts.tables import User
from gvi.notify.counts import waiting_for
from gvi.notify.menu import menu_counts
from tests.clients import signed_in
from tests.notify.world import CALLIN_TITLE, build_count_world


def _by_key(counts: list) -> dict[str, int]:  # type: ignore[type-arg]
    return {c.key: c.count for c in counts}


async def test_each_role_gets_its_own_items_counted_within_scope(db: None) -> None:
    w = await build_count_world()
    world = w.world
    coordinator = _by_key(await waiting_for(world.principal("coordinator")))
    assert coordinator["callins_upcoming"] == 1  # Annanby's call-in is not counted
    assert coordinator["invitations_unanswered"] == 1
    assert {"notifications_due", "watches_open", "tasks_overdue"} <= coordinator.keys()
    assert "cases_follow_up" not in coordinator
    assert "alerts_open" not in coordinator

    outreach = _by_key(await waiting_for(world.principal("outreach")))
    assert outreach["tasks_overdue"] == 1
    assert outreach["tasks_due"] == 1
    assert {"cases_follow_up", "offers_stale"} <= outreach.keys()
    assert "callins_upcoming" not in outreach
    assert "network_changes" not in outreach

    police = _by_key(await waiting_for(world.principal("police")))
    assert {"watches_open", "promises_triggered", "incidents_unreviewed"} <= police.keys()
    assert police["tasks_overdue"] == 0  # the outreach worker's tasks are not theirs

    analyst = _by_key(await waiting_for(world.principal("analyst")))
    assert set(analyst) == {"network_changes"}

    admin = _by_key(await waiting_for(world.principal("admin")))
    assert set(admin) == {"alerts_open", "users_locked", "audit_unverified"}
    assert admin["audit_unverified"] > 0

    other = _by_key(await waiting_for(world.principal("coordinator_other")))
    assert other["callins_upcoming"] == 1  # their own municipality's one only


async def test_the_menu_counts_own_due_tasks_on_pages_only(app: Litestar) -> None:
    w = await build_count_world()
    assert await menu_counts(w.world.principal("outreach")) == {"tasks": 2}
    assert await menu_counts(w.world.principal("coordinator")) == {}
    async with signed_in(app, w.world, "outreach") as client:
        page = await client.get("/tasks")
        assert page.status_code == 200
        assert 'href="/tasks">Uppgifter <span class="nav-count">(2' in page.text
        api = await client.get("/api/v1/tasks")
        assert "nav-count" not in api.text


async def test_the_start_page_lists_counts_and_records_the_visit(app: Litestar) -> None:
    w = await build_count_world()
    async with signed_in(app, w.world, "coordinator") as client:
        first = await client.get("/")
        assert first.status_code == 200
        assert "Kommande call-ins" in first.text
        assert "Inbjudningar utan svar" in first.text
        assert 'data-key="callins_upcoming"' in first.text
        assert CALLIN_TITLE not in first.text
        assert w.codes[0] not in first.text
    seen = (
        await User.select(User.home_seen_at)
        .where(User.id == w.world.user_ids["coordinator"])
        .first()
    )
    assert seen is not None
    assert seen["home_seen_at"] is not None
    async with signed_in(app, w.world, "analyst") as client:
        page = await client.get("/")
        assert "Ändringar i nätverket sedan ditt senaste besök" in page.text
        assert 'data-slot="saved-views"' in page.text
        assert "Första besöket" in page.text
        again = await client.get("/")
        assert "Sedan " in again.text
    async with signed_in(app, w.world, "admin") as client:
        page = await client.get("/")
        assert "Låsta konton" in page.text
        assert "Okvitterade aviseringar" in page.text
