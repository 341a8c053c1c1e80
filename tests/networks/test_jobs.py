"""Background jobs: queued by a request, run by the app's worker, progress to 100,
results pseudonymous and visible only to the user who asked."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.accounts.tables import User
from gvi.audit.tables import AuditEvent
from gvi.jobs import runner
from gvi.networks import graph, jobs
from gvi.networks.tables import AnalysisJob
from tests.clients import csrf_from, signed_in
from tests.networks.world import BEFORE_END, SECRETS, build_world


async def _wait_done(c: AsyncTestClient, job_id: int, within: float = 30) -> dict[str, Any]:  # type: ignore[type-arg]
    seen = []
    deadline = asyncio.get_running_loop().time() + within
    while True:
        r = await c.get(f"/api/v1/network/jobs/{job_id}")
        assert r.status_code == 200
        body: dict[str, Any] = r.json()
        seen.append(body["progress"])
        if body["status"] in ("done", "failed"):
            assert seen == sorted(seen), "progress never goes back"
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("kind", ["person_centrality", "person_communities"])
async def test_job_runs_in_the_background_and_stores_its_result(app: Litestar, kind: str) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        token = csrf_from((await c.get("/network/jobs")).text)
        r = await c.post(
            "/api/v1/network/jobs",
            json={"kind": kind, "as_of": str(BEFORE_END)},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["status"] in ("queued", "running", "done")
        done = await _wait_done(c, job["id"])
        assert done["status"] == "done", done
        assert done["progress"] == 100
        assert done["result"] is None  # polling shows counts only
        assert done["summary"]["people"] == 3  # Gamma lives outside the scope
        full = (await c.get(f"/api/v1/network/jobs/{job['id']}?include=result")).json()
        text = json.dumps(full["result"], ensure_ascii=False)
        assert world.codes["alfa"] in text
        assert world.codes["gamma"] not in text
        for secret in SECRETS:
            assert secret not in text
        read = (
            await AuditEvent.select(AuditEvent.details)
            .where((AuditEvent.action == "network:read") & (AuditEvent.target_id == str(job["id"])))
            .first()
        )
        assert read is not None
        page = await c.get(f"/network/jobs/{job['id']}")
        assert page.status_code == 200
        assert world.codes["alfa"] in page.text
        listing = await c.get("/network/jobs")
        assert f'href="/network/jobs/{job["id"]}"' in listing.text
        assert 'src="/static/js/jobs.js"' in listing.text

    async with signed_in(app, world, "analyst2") as other:
        assert (await other.get(f"/api/v1/network/jobs/{job['id']}")).status_code == 404
        assert (await other.get(f"/network/jobs/{job['id']}")).status_code == 404
        assert f"/network/jobs/{job['id']}" not in (await other.get("/network/jobs")).text


async def test_job_form_and_bad_kind(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        token = csrf_from((await c.get("/network/jobs")).text)
        r = await c.post(
            "/api/v1/network/jobs", json={"kind": "everything"}, headers={"X-CSRF-Token": token}
        )
        assert r.status_code == 400
        r = await c.post(
            "/network/jobs",
            data={"kind": "person_centrality", "as_of": str(BEFORE_END), "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        job_id = (await AnalysisJob.select(AnalysisJob.id).first())["id"]  # type: ignore[index]
        assert (await _wait_done(c, job_id))["status"] == "done"


async def test_a_job_is_claimed_once(db: None) -> None:
    world = await build_world()
    job = AnalysisJob(
        kind=AnalysisJob.Kind.person_centrality,
        params={"as_of": str(BEFORE_END), "municipality_ids": [world.own]},
        requested_by=world.users["analyst"][0],
    )
    await job.save()
    kind = runner.kind(jobs.KIND)
    claims = await asyncio.gather(*(runner.claim(kind, job.id, f"w{i}") for i in range(4)))
    assert sorted(claims) == [False, False, False, True]
    assert await runner.claim(kind, job.id, "late") is False
    # A worker that stopped beating loses the job to the queue, and the next worker.
    await AnalysisJob.update(
        {AnalysisJob.heartbeat_at: datetime.now(tz=UTC) - timedelta(minutes=10)}
    ).where(AnalysisJob.id == job.id)
    sent: list[tuple[str, int]] = []

    async def record_send(kind_name: str, job_id: int) -> None:
        sent.append((kind_name, job_id))

    await runner.reap(record_send, max_attempts=3, stale_seconds=60)
    assert sent == [(jobs.KIND, job.id)]
    assert await runner.claim(kind, job.id, "rescuer") is True
    row = (
        await AnalysisJob.select(AnalysisJob.claimed_by, AnalysisJob.attempts)
        .where(AnalysisJob.id == job.id)
        .first()
    )
    assert row == {"claimed_by": "rescuer", "attempts": 2}


async def test_a_job_stops_when_its_requester_lost_access(db: None) -> None:
    world = await build_world()
    job = AnalysisJob(
        kind=AnalysisJob.Kind.person_communities,
        params={"as_of": str(BEFORE_END), "municipality_ids": [world.own]},
        requested_by=world.users["analyst"][0],
    )
    await job.save()
    await User.update({User.is_active: False}).where(User.id == world.users["analyst"][0])
    assert await runner.execute(jobs.KIND, job.id) is True
    row = (
        await AnalysisJob.select(AnalysisJob.status, AnalysisJob.result, AnalysisJob.message)
        .where(AnalysisJob.id == job.id)
        .output(load_json=True)
        .first()
    )
    assert row is not None
    assert row["status"] == "failed"
    assert row["message"] == runner.NO_LONGER_ALLOWED
    assert row["result"] == {}


def test_analyses_report_progress_and_can_be_stopped() -> None:
    groups = [graph.GroupNode(i, f"G{i}", 1, "Egenby") for i in range(3)]
    ties = [graph.MemberTie(p, f"P-{p:04d}", p % 3) for p in range(30)]
    ties += [graph.MemberTie(0, "P-0000", 1), graph.MemberTie(5, "P-0005", 2)]
    pg = graph.person_graph(groups, ties, BEFORE_END)
    seen: list[int] = []
    result = jobs.person_centrality(pg, lambda p, m: seen.append(p), samples=8)
    assert seen == sorted(seen)
    assert seen[-1] == 95
    assert result["summary"]["exact"] is False
    assert result["top"][0]["code"] in ("P-0000", "P-0005")  # in two groups: the bridges
    communities = jobs.person_communities(pg, lambda p, m: None)
    assert communities["summary"]["people"] == 30
    assert sum(c["people"] for c in communities["communities"]) == 30
    stop = threading.Event()
    stop.set()
    with pytest.raises(jobs.JobCancelled):
        jobs.person_centrality(pg, jobs.Progress(stop))


async def test_a_page_with_scripts_gets_a_fresh_nonce_that_its_scripts_carry(app: Litestar) -> None:
    """The CSP nonce is made per request, when the page's template asks for it, and
    the policy names exactly the nonce the page's script elements carry."""
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        seen = []
        for _ in range(2):
            page = await c.get("/network/jobs")
            assert page.status_code == 200
            csp = page.headers["content-security-policy"]
            found = re.search(r"script-src 'self' 'nonce-([^']+)';", csp)
            assert found, csp
            assert "unsafe-inline" not in csp
            carried = set(re.findall(r'<script nonce="([^"]+)"', page.text))
            assert carried == {found.group(1)}
            seen.append(found.group(1))
        assert seen[0] != seen[1]
