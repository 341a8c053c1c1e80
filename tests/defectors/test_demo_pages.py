"""The pages render the demo data set: the social secretary of the joint unit
sees the joint unit's cases (Sollentuna's too), their offers and providers;
the OpenAPI schema documents the new shapes."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.defectors.tables import DefectorCase
from gvi.support.tables import Provider, SupportOffer
from seeds.demo import DEMO_PASSWORD, U_JOINT, load_demo
from tests.clients import BASE, login


async def test_demo_pages_render_for_the_joint_unit(app: Litestar) -> None:
    await load_demo()
    secret = "GVIDEMOSOCIALSEKRETERARE".ljust(32, "A")
    async with AsyncTestClient(app=app, base_url=BASE) as c:
        await login(c, "socialsekreterare", secret, password=DEMO_PASSWORD)
        listed = await c.get("/cases?status=")
        assert listed.status_code == 200
        ids = [int(i) for i in re.findall(r'href="/cases/(\d+)"', listed.text)]
        joint = await DefectorCase.select(DefectorCase.id).where(DefectorCase.unit.name == U_JOINT)
        assert {r["id"] for r in joint} <= set(ids)
        assert "Sollentuna" in listed.text
        for case_id in ids:
            page = await c.get(f"/cases/{case_id}")
            assert page.status_code == 200, case_id
            assert "Tidslinje" in page.text
        offers = await c.get("/offers")
        assert offers.status_code == 200
        offer_ids = await SupportOffer.select(SupportOffer.id).limit(15)
        for row in offer_ids:
            r = await c.get(f"/offers/{row['id']}")
            assert r.status_code in (200, 404)
        providers = await c.get("/providers")
        assert "⚠" in providers.text  # a private provider whose last approval is old
        for row in await Provider.select(Provider.id):
            assert (await c.get(f"/providers/{row['id']}")).status_code == 200
        assert (await c.get("/offers/new")).status_code == 200
        assert (await c.get("/cases/new")).status_code == 200
        schema = (await c.get("/api/v1/schema/openapi.json")).json()
        for path in (
            "/api/v1/offers",
            "/api/v1/offers/{offer_id}/status",
            "/api/v1/providers/{provider_id}/checks",
            "/api/v1/cases/{case_id}/consents/{consent_id}/withdraw",
            "/api/v1/cases/{case_id}/timeline",
        ):
            assert path in schema["paths"], path
