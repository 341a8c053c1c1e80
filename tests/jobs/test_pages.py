"""The owner's "Avbryt" on the job pages and in the API; anyone else's job is a 404."""

from __future__ import annotations

from gvi.networks.tables import AnalysisJob
from tests.clients import csrf_from, signed_in
from tests.networks.world import BEFORE_END, build_world


async def test_the_owner_cancels_a_queued_analysis_from_its_page(
    db: None, no_job_worker: None
) -> None:
    from gvi.app import create_app

    world = await build_world()
    app = create_app()  # no worker: the job stays queued until cancelled
    async with signed_in(app, world, "analyst") as c:
        token = csrf_from((await c.get("/network/jobs")).text)
        r = await c.post(
            "/api/v1/network/jobs",
            json={"kind": "person_centrality", "as_of": str(BEFORE_END)},
            headers={"X-CSRF-Token": token},
        )
        job_id = r.json()["id"]
        page = await c.get(f"/network/jobs/{job_id}")
        assert f'action="/network/jobs/{job_id}/cancel"' in page.text
        assert ">Avbryt</button>" in page.text
        async with signed_in(app, world, "analyst2") as other:
            other_token = csrf_from((await other.get("/network/jobs")).text)
            refused = await other.post(
                f"/api/v1/network/jobs/{job_id}/cancel", headers={"X-CSRF-Token": other_token}
            )
            assert refused.status_code == 404
        r = await c.post(
            f"/network/jobs/{job_id}/cancel",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code in (302, 303)
        page = await c.get(f"/network/jobs/{job_id}")
        assert "Avbruten" in page.text
        assert ">Avbryt</button>" not in page.text
        api = await c.post(f"/api/v1/network/jobs/{job_id}/cancel", headers={"X-CSRF-Token": token})
        assert (api.status_code, api.json()["status"]) == (200, "cancelled")
    row = await AnalysisJob.select(AnalysisJob.status).where(AnalysisJob.id == job_id).first()
    assert row == {"status": "cancelled"}
