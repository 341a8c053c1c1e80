"""The network pages and API with real sign-in: scope, dates, analyses, exports,
the person view, and that analysts never see identities or free text."""

from __future__ import annotations

import io
import json
from typing import Any

import networkx as nx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.audit.tables import AuditEvent
from gvi.networks import assets, interchange
from tests.clients import signed_in
from tests.networks.gexf_schema import assert_valid_gexf
from tests.networks.world import (
    AFTER_END,
    BEFORE_END,
    ODD_NAME,
    SECRETS,
    build_world,
)


def _texts(figure: dict[str, Any]) -> str:
    return json.dumps(figure, ensure_ascii=False)


def _edge_count(figure: dict[str, Any], name: str) -> int:
    """Line traces hold each edge as its points (two, or a curve's), then None."""
    return sum(
        t["x"].count(None) for t in figure["data"] if t.get("mode") == "lines" and t["name"] == name
    )


async def _last_event(action: str) -> dict[str, Any]:
    row = (
        await AuditEvent.select()
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.seq, ascending=False)
        .first()
    )
    assert row is not None
    if isinstance(row["details"], str):
        row["details"] = json.loads(row["details"])
    return row


async def test_page_and_figure_show_the_groups_in_scope(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        page = await c.get(f"/network?as_of={BEFORE_END}")
        assert page.status_code == 200
        assert "Norrgänget" in page.text
        assert "Främlingarna" not in page.text  # another municipality
        assert f'src="{assets.plotly_js_url()}"' in page.text
        assert 'src="/static/js/network.js"' in page.text
        assert "Nätverk</a>" in page.text  # the nav link

        r = await c.get(f"/api/v1/network/groups?as_of={BEFORE_END}")
        assert r.status_code == 200
        body = r.json()
        text = _texts(body["figure"])
        for name in ("Norrgänget", "Södra ligan", "Östra brödraskapet"):
            assert name in text
        assert "Främlingarna" not in text
        assert body["summary"] == {"nodes": 4, "alliances": 2, "rivalries": 2, "truces": 1}
        assert body["webgl"] is False
        assert {t["type"] for t in body["figure"]["data"]} == {"scatter"}
        # Plotly reads names as pseudo-HTML; ours are escaped, never interpreted.
        assert "Västra &lt;b&gt;falangen&lt;/b&gt;" in text
        assert ODD_NAME not in text
        assert _edge_count(body["figure"], "Rivalitet") == 2
        assert _edge_count(body["figure"], "Utbrytargrupp av") == 1
        hover = [
            t for t in body["figure"]["data"] if "customdata" in t and t.get("mode") != "lines"
        ]
        assert all(
            "Centralitet" in t["hovertemplate"] for t in hover if "Kommun" in t["hovertemplate"]
        )


async def test_the_as_of_date_changes_the_figure(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "police") as c:
        before = (await c.get(f"/api/v1/network/groups?as_of={BEFORE_END}")).json()
        after = (await c.get(f"/api/v1/network/groups?as_of={AFTER_END}")).json()
        assert _edge_count(before["figure"], "Rivalitet") == 2
        assert _edge_count(after["figure"], "Rivalitet") == 1  # the ended rivalry is gone
        assert after["summary"]["rivalries"] == 1
        # Before the rivalry began (2024-01-01) Norrgänget and Södra ligan were not at war.
        early = (await c.get("/api/v1/network/groups?as_of=2023-07-01")).json()
        assert early["summary"]["rivalries"] == 1

        # Positions stay put across dates: the layout is of every pair ever related.
        def nodes(fig: dict[str, Any]) -> dict[str, tuple[float, float]]:
            out = {}
            for t in fig["data"]:
                if t.get("mode", "").startswith("markers") and "customdata" in t:
                    for x, y, cd in zip(t["x"], t["y"], t["customdata"], strict=True):
                        out[cd[4]] = (x, y)
            return out

        assert nodes(before["figure"]) == nodes(after["figure"])


async def test_filters_kinds_municipality_and_colour(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        only = (await c.get(f"/api/v1/network/groups?as_of={BEFORE_END}&kinds=alliance")).json()
        assert only["summary"] == {"nodes": 4, "alliances": 2, "rivalries": 0, "truces": 0}
        # A municipality outside the user's scope is dropped, not shown.
        other = (
            await c.get(f"/api/v1/network/groups?as_of={BEFORE_END}&municipality={world.other}")
        ).json()
        assert "Främlingarna" not in _texts(other["figure"])
        assert other["summary"]["nodes"] == 4
        by_muni = (
            await c.get(f"/api/v1/network/groups?as_of={BEFORE_END}&colour=municipality")
        ).json()
        assert "Järfälla" in [t["name"] for t in by_muni["figure"]["data"]]
        ego = (
            await c.get(
                f"/api/v1/network/groups?as_of={BEFORE_END}&center={world.groups['vastra']}&radius=1"
            )
        ).json()
        assert ego["summary"]["nodes"] == 4  # the analyses are of the whole graph
        text = _texts(ego["figure"])
        assert "Östra brödraskapet" in text
        assert "Norrgänget" not in text  # two steps away
        missing = await c.get(f"/api/v1/network/groups?center={world.groups['frammande']}")
        assert missing.status_code == 404
        bad = await c.get("/api/v1/network/groups?as_of=not-a-date")
        assert bad.status_code == 400


async def test_analyses_api_and_page(app: Litestar) -> None:
    world = await build_world()
    g = world.groups
    async with signed_in(app, world, "analyst") as c:
        r = await c.get(
            f"/api/v1/network/analyses?as_of={BEFORE_END}&group={g['norr']}"
            f"&path_from={g['vastra']}&path_to={g['norr']}"
            f"&diff_from={BEFORE_END}&diff_to={AFTER_END}"
        )
        assert r.status_code == 200
        a = r.json()
        assert [x["name"] for x in a["conflicts_of"]] == ["Södra ligan"]
        assert [x["name"] for x in a["path"]["groups"]] == [
            ODD_NAME,
            "Östra brödraskapet",
            "Norrgänget",
        ] or [x["name"] for x in a["path"]["groups"]] == [ODD_NAME, "Södra ligan", "Norrgänget"]
        triads = [sorted(x["name"] for x in t) for t in a["unbalanced_triads"]]
        assert triads == [sorted(["Norrgänget", "Södra ligan", "Östra brödraskapet"])]
        assert [(d["a"]["name"], d["b"]["name"]) for d in a["diff"]["ended"]] == [
            (ODD_NAME, "Södra ligan")
        ]
        assert a["diff"]["appeared"] == []
        assert {x["name"] for x in a["ego"]} == {"Norrgänget", "Södra ligan", "Östra brödraskapet"}
        assert a["communities"]
        assert {x["name"] for x in a["communities"][0]} == {
            "Norrgänget",
            "Södra ligan",
            "Östra brödraskapet",
        }
        # Truces carry nothing, so Västra hangs on Södra ligan by their rivalry alone.
        assert [x["name"] for x in a["bridging_groups"]] == ["Södra ligan"]

        page = await c.get(
            f"/network/analyses?as_of={BEFORE_END}&group={g['norr']}"
            f"&path_from={g['vastra']}&path_to={g['norr']}&diff_from={BEFORE_END}&diff_to={AFTER_END}"
        )
        assert page.status_code == 200
        assert "Upphörda relationer (1)" in page.text
        assert "Kortaste relationskedja" in page.text
        assert (await c.get(f"/network/analyses?group={g['frammande']}")).status_code == 404


async def test_exports_read_back_and_match_the_screen(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        shown = (await c.get(f"/api/v1/network/groups?as_of={BEFORE_END}")).json()
        r = await c.get(f"/api/v1/network/export.graphml?as_of={BEFORE_END}")
        assert r.status_code == 200
        assert r.headers["content-disposition"] == (
            f'attachment; filename="gvi-natverk-{BEFORE_END}.graphml"'
        )
        g = nx.read_graphml(io.BytesIO(r.content))
        assert set(g.nodes) == {str(world.groups[k]) for k in ("norr", "sodra", "ostra", "vastra")}
        kinds = sorted(d["kind"] for _, _, d in g.edges(data=True))
        assert kinds == ["alliance", "alliance", "rivalry", "rivalry", "splinter_of", "truce"]
        # The splinter points from the splinter group to the one it broke from.
        splinter = [(a, b) for a, b, d in g.edges(data=True) if d["kind"] == "splinter_of"]
        assert splinter == [(str(world.groups["vastra"]), str(world.groups["ostra"]))]
        assert g.number_of_nodes() == shown["summary"]["nodes"]
        assert {d["label"] for _, d in g.nodes(data=True)} >= {"Norrgänget", ODD_NAME}
        event = await _last_event("export:create")
        assert event["details"]["format"] == "graphml"
        assert event["details"]["nodes"] == 4
        assert event["details"]["edges"] == 6
        assert event["person_id"] is None

        r = await c.get(f"/api/v1/network/export.gexf?as_of={AFTER_END}")
        assert r.status_code == 200
        assert_valid_gexf(r.content)
        gx = interchange.from_gexf(r.content)
        assert gx.number_of_nodes() == 4
        assert gx.number_of_edges() == 5  # the ended rivalry is not exported
        r = await c.get(f"/api/v1/network/export.gexf?as_of={AFTER_END}&history=true")
        history = interchange.from_gexf(r.content)
        assert history.number_of_edges() == 6  # every claim, the ended rivalry too
        ended = [d for *_, d in history.edges(data=True) if "valid_to" in d]
        assert len(ended) == 1
        event = await _last_event("export:create")
        assert (event["details"]["format"], event["details"]["history"]) == ("gexf", True)

        r = await c.get(f"/api/v1/network/export.nodes.csv?as_of={BEFORE_END}")
        assert r.status_code == 200
        assert r.headers["content-disposition"] == (
            f'attachment; filename="gvi-natverk-{BEFORE_END}.nodes.csv"'
        )
        nodes = r.text.strip().splitlines()
        assert nodes[0].startswith("id,label,")
        assert len(nodes) == 5
        assert (await _last_event("export:create"))["details"]["format"] == "nodes.csv"

        r = await c.get(f"/api/v1/network/export.csv?as_of={BEFORE_END}&kinds=rivalry")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        lines = r.text.strip().splitlines()
        assert lines[0].startswith("source,target,kind,sign,intensity,relation_id")
        assert len(lines) == 3
        for secret in SECRETS:
            for fmt in ("graphml", "gexf", "csv", "nodes.csv"):
                body = (await c.get(f"/api/v1/network/export.{fmt}?as_of={BEFORE_END}")).text
                assert secret not in body, (fmt, secret)


async def test_person_view_is_scoped_audited_and_pseudonymous(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "police") as c:
        alfa = world.people["alfa"]
        r = await c.get(f"/network/person/{alfa}?as_of={BEFORE_END}")
        assert r.status_code == 200
        for key in ("alfa", "beta"):
            assert world.codes[key] in r.text
        assert world.codes["gamma"] not in r.text  # lives in another municipality
        assert "Södra ligan" in r.text  # a rival of Alfa's group
        assert "Främlingarna" not in r.text
        event = await _last_event("network:read")
        assert event["person_id"] == alfa
        assert event["details"]["view"] == "person_ego"

        api = (await c.get(f"/api/v1/network/person/{alfa}?as_of={BEFORE_END}&radius=2")).json()
        assert api["person_code"] == world.codes["alfa"]
        assert world.codes["beta"] in api["co_members"]
        # Two steps: Södra ligan is not Alfa's group, so Delta is not a co-member's co-member.
        assert world.codes["delta"] not in api["co_members"]
        assert (await c.get(f"/network/person/{world.people['gamma']}")).status_code == 404
        assert (await c.get(f"/api/v1/network/person/{world.people['gamma']}")).status_code == 404
        assert (await c.get(f"/network/person/{alfa}?radius=3")).status_code == 404


async def test_analyst_sees_no_identity_and_no_free_text(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        alfa = world.people["alfa"]
        urls = [
            f"/network?as_of={BEFORE_END}",
            f"/network/analyses?as_of={BEFORE_END}&group={world.groups['norr']}",
            f"/api/v1/network/groups?as_of={BEFORE_END}",
            f"/api/v1/network/analyses?as_of={BEFORE_END}&group={world.groups['norr']}",
            f"/network/person/{alfa}?as_of={BEFORE_END}&radius=2",
            f"/api/v1/network/person/{alfa}?as_of={BEFORE_END}&radius=2",
            f"/api/v1/network/export.graphml?as_of={BEFORE_END}",
            f"/api/v1/network/export.gexf?as_of={BEFORE_END}",
            f"/api/v1/network/export.csv?as_of={BEFORE_END}",
            f"/api/v1/network/export.nodes.csv?as_of={BEFORE_END}&history=true",
            f"/api/v1/network/export.gexf?as_of={BEFORE_END}&history=true",
        ]
        for url in urls:
            r = await c.get(url)
            assert r.status_code == 200, url
            for secret in SECRETS:
                assert secret not in r.text, (url, secret)
            assert "Torget" not in r.text, url  # the groups' area is not in these views
        person = await c.get(f"/network/person/{alfa}?as_of={BEFORE_END}")
        assert world.codes["alfa"] in person.text


async def test_roles_without_network_read_get_404(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "outreach") as c:
        for url in (
            "/network",
            "/api/v1/network/groups",
            "/api/v1/network/export.csv",
            "/api/v1/network/export.nodes.csv",
        ):
            assert (await c.get(url)).status_code == 404, url


async def test_plotly_basic_bundle_is_served_under_its_hash_with_long_caching(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    url = assets.plotly_js_url()
    assert assets.plotly_js_sha256()[: assets.HASH_DIGITS] in url
    js = await client.get(url)
    assert js.status_code == 200
    assert js.content.startswith(b"/**\n* plotly.js (basic - minified) v")
    assert len(js.content) < 1_500_000  # the full bundle is 4.6 MiB
    assert js.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.headers["content-type"].count("charset") <= 1, js.headers["content-type"]
    css = await client.get(assets.plotly_css_url())
    assert css.status_code == 200
    assert ".js-plotly-plot .plotly .modebar" in css.text
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert "immutable" in css.headers["cache-control"]
    # The full bundle of the plotly package is not served any more.
    assert (await client.get("/static/vendor/plotly.min.js")).status_code == 404
    stale = "/static/vendor/plotly-basic.0000000000000000.min.js"
    assert (await client.get(stale)).status_code == 404
    # The /static router still serves our own files.
    assert (await client.get("/static/css/gvi.css")).status_code == 200
    assert (await client.get("/static/js/network.js")).status_code == 200
    assert (await client.get("/static/js/figure-kit.js")).status_code == 200


async def test_person_view_without_memberships_is_an_empty_view(app: Litestar) -> None:
    """No membership at all, or none yet on ``as_of``: the person alone, not a 500."""
    from gvi.people.tables import Person

    world = await build_world()
    alfa = world.people["alfa"]
    home = (await Person.select(Person.home_municipality).where(Person.id == alfa).first())[
        "home_municipality"
    ]
    loner = Person(code="P-LONE", home_municipality=home)
    await loner.save()
    async with signed_in(app, world, "police") as c:
        for path in (
            f"/api/v1/network/person/{alfa}?as_of=1990-01-01",
            f"/api/v1/network/person/{loner.id}",
        ):
            r = await c.get(path)
            assert r.status_code == 200, r.text
            assert r.json()["groups"] == []
            assert r.json()["co_members"] == []
        r = await c.get(f"/network/person/{loner.id}")
        assert r.status_code == 200
        assert "P-LONE" in r.text
