"""The people list and search by code (page and API): scoped to the user's
municipalities in the query, archived people left out, a code prefix matched
whatever its case with % and _ taken literally, totals and pages right, and each
list read audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from litestar import Litestar

from gvi.audit.services import verify
from gvi.audit.tables import AuditEvent
from gvi.core.columns import utcnow
from gvi.people.controllers import PAGE_SIZE
from gvi.people.tables import Person, Protection
from tests.admin.support import municipality, new_user
from tests.clients import signed_in
from tests.conftest import engines_only


async def _person(code: str, town: int, *, archived: bool = False, year: int = 2001) -> None:
    await Person(
        code=code,
        home_municipality=town,
        protection=Protection.none,
        birth_year=year,
        archived_at=utcnow() if archived else None,
    ).save()


async def _world() -> tuple[int, int]:
    ours = await municipality()
    other = await municipality("0163")
    return ours, other


async def _list(c: Any, **params: str) -> dict[str, Any]:
    r = await c.get("/api/v1/people", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_the_list_shows_the_users_municipalities_only_and_no_archived(
    app: Litestar,
) -> None:
    ours, other = await _world()
    await _person("P-AAA2", ours)
    await _person("P-AAB2", ours, archived=True)
    await _person("P-AAC2", other)
    _, secret = await new_user("polis1", "police")
    async with signed_in(app, "polis1", secret) as c:
        body = await _list(c)
        assert [p["code"] for p in body["items"]] == ["P-AAA2"]
        assert body["total"] == 1
        page = await c.get("/people")
        assert "P-AAA2" in page.text
        assert "P-AAB2" not in page.text
        assert "P-AAC2" not in page.text


async def test_search_by_code_prefix_ignores_case_and_takes_wildcards_literally(
    app: Litestar,
) -> None:
    ours, _ = await _world()
    for code in ("P-AB22", "P-AB33", "P-AC22", "P-ZZ22"):
        await _person(code, ours)
    _, secret = await new_user("polis1", "police")
    async with signed_in(app, "polis1", secret) as c:
        assert [p["code"] for p in (await _list(c, code="p-ab"))["items"]] == [
            "P-AB22",
            "P-AB33",
        ]
        assert (await _list(c, code=" P-AC2 "))["total"] == 1
        # A typed % or _ is not a wildcard: no code contains one.
        for pattern in ("%", "P-_B", "P-A%", "\\"):
            assert (await _list(c, code=pattern)) == {
                "items": [],
                "total": 0,
                "page": 1,
                "page_size": PAGE_SIZE,
            }, pattern
        page = await c.get("/people", params={"code": "p-ab3"})
        assert "P-AB33" in page.text
        assert "P-AB22" not in page.text


async def test_pages_cover_every_row_once_in_code_order_and_each_read_is_audited(
    app: Litestar,
) -> None:
    ours, _ = await _world()
    codes = [f"P-{a}{b}22" for a in "ABC" for b in "ABCDEFGHJKLMNPQRSTUVWXYZ"][: PAGE_SIZE + 7]
    for code in reversed(codes):
        await _person(code, ours)
    _, secret = await new_user("polis1", "police")
    before = await AuditEvent.count().where(AuditEvent.action == "person:list")
    async with signed_in(app, "polis1", secret) as c:
        first, second = await _list(c, page="1"), await _list(c, page="2")
        beyond = await _list(c, page="3")
    assert first["total"] == second["total"] == len(codes)
    assert [p["code"] for p in first["items"] + second["items"]] == sorted(codes)
    assert len(first["items"]) == PAGE_SIZE
    assert beyond["items"] == []
    events = (
        await AuditEvent.select(AuditEvent.details)
        .where(AuditEvent.action == "person:list")
        .order_by(AuditEvent.seq)
        .output(load_json=True)
    )
    assert len(events) == before + 3
    assert [e["details"] for e in events[-3:]] == [
        {"count": PAGE_SIZE, "offset": 0},
        {"count": 7, "offset": PAGE_SIZE},
        {"count": 0, "offset": 2 * PAGE_SIZE},
    ]
    # On PostgreSQL the database wrote the count into the hashed row (the read and
    # its event are one statement): the chain must verify with it.
    result = await verify()
    assert result.ok, result.problems
    # A page past the end (a stale link) says so and leads to the last page.
    async with signed_in(app, "polis1", secret) as c:
        past = await c.get("/people", params={"page": "3"})
    assert past.status_code == 200
    assert "Sidan 3 finns inte: sista sidan är 2." in past.text
    assert 'href="/people?code=&page=2"' in past.text
    assert "Inga personer hittades" not in past.text


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@engines_only("postgres")
async def test_the_list_statement_takes_the_chain_lock_after_its_reads(db: None) -> None:
    """On PostgreSQL the page, its total and its audit event are one statement, and
    the audit call takes the chain lock that every audited request waits for. The
    lock must come after the reads, held only to the commit: were it taken before
    the total (a count over every person in scope), all audited requests would
    queue behind that count. The plan shows the order: the call is the inner side
    of a nested loop over the one ``counts`` row, whose projection runs both
    counts, so the call runs only once they are done."""
    from gvi.access.principal import Principal
    from gvi.accounts.tables import Role
    from gvi.audit.events import AuditAction
    from gvi.audit.services import counted_append_args
    from gvi.db import pg_fetch
    from gvi.people.services import _PG_LIST_SQL

    principal = Principal(
        user_id=1,
        username="planner",
        role=Role.police,
        unit_id=None,
        municipality_ids=frozenset({1}),
    )
    for prefix, scope in ((False, [[1]]), (True, [[1], "P-%"])):
        audit = counted_append_args(
            AuditAction.person_list,
            actor=principal,
            target_type="person",
            details={"offset": 0},
            count_key="count",
        )
        # EXPLAIN without ANALYZE plans the statement and runs nothing.
        rows = await pg_fetch(
            Person._meta.db,
            "EXPLAIN (FORMAT JSON) " + _PG_LIST_SQL[(prefix, "code")],
            *scope,
            PAGE_SIZE,
            0,
            *audit,
        )
        [top] = json.loads(rows[0]["QUERY PLAN"])
        ctes = {n.get("Subplan Name"): n for n in top["Plan"]["Plans"] if "Subplan Name" in n}
        counts, audited = ctes["CTE counts"], ctes["CTE audited"]
        # Both counts are computed in the counts row (the total scans person).
        assert any(n.get("Relation Name") == "person" for n in _nodes(counts))
        calls = [n for n in _nodes(audited) if n["Node Type"] == "Function Scan"]
        assert [n["Function Name"] for n in calls] == ["gvi_audit_append"]
        [loop] = [n for n in _nodes(audited) if calls[0] in n.get("Plans", [])]
        outer, inner = loop["Plans"]
        assert loop["Node Type"] == "Nested Loop"
        assert (outer["Node Type"], outer.get("CTE Name")) == ("CTE Scan", "counts")
        assert inner is calls[0]
        assert inner["Parent Relationship"] == "Inner"
