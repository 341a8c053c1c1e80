"""The group network on the web: pages under /network, JSON under /api/v1/network,
and plotly.js under /static/vendor (see :mod:`gvi.networks.assets`).

Thin: filters are parsed here, everything else (scope, queries, audit, the
figures) is in :mod:`gvi.networks.services` and :mod:`gvi.networks.jobs`.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import File, Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.web import page, redirect_with_flash, refusal_view, submit, translated
from gvi.i18n import gettext
from gvi.networks import assets, figures, jobs, saved, services
from gvi.networks.graph import GroupNode
from gvi.networks.schemas import (
    AnalysesOut,
    ConflictOut,
    DiffOut,
    FigureOut,
    GroupFiguresOut,
    GroupRef,
    JobForm,
    JobIn,
    JobOut,
    PathOut,
    PersonFigureOut,
    RelationChangeOut,
)
from gvi.networks.timeline_services import slider_context

READ = {"permission": Permission.network_read}
VIEWS = {"permission": Permission.saved_views_write}
PUBLIC = {"permission": Permission.public}
# The URL carries the content hash, so the files may be cached for a year.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
ROW_LIMIT = 1000  # table rows on a page; the CSV export has them all


def _ref(g: GroupNode) -> GroupRef:
    return GroupRef(id=g.id, name=g.name, municipality=g.municipality)


def _filter(
    principal: Principal,
    as_of: date | None,
    municipality: list[int] | None,
    kinds: list[str] | None,
    *,
    strict: bool = False,
) -> services.NetworkFilter:
    """The filter of a request; *strict* (the API) refuses an unknown relation
    kind with a 400 naming it, where a page leaves it out."""
    if strict:
        kinds = rest.known_values(kinds, services.ALL_KINDS, "kinds")
    return services.make_filter(principal, as_of=as_of, municipalities=municipality, kinds=kinds)


def _figure_out(view: services.GroupView) -> FigureOut:
    return FigureOut(
        figure=view.figure,
        webgl=view.webgl,
        as_of=view.flt.as_of.isoformat(),
        summary=view.analysis.summary,
    )


def _diff_out(d: services.DiffAnswer) -> DiffOut:
    def change(r: Any, a: GroupNode, b: GroupNode, was: str | None = None) -> RelationChangeOut:
        return RelationChangeOut(relation_id=r.id, kind=r.kind, a=_ref(a), b=_ref(b), was=was)

    return DiffOut(
        date_a=d.date_a.isoformat(),
        date_b=d.date_b.isoformat(),
        appeared=[change(r, a, b) for r, a, b in d.appeared],
        ended=[change(r, a, b) for r, a, b in d.ended],
        flipped=[change(new, a, b, old.kind) for old, new, a, b in d.flipped],
    )


def _job_out(job: jobs.JobView, *, full: bool = False) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        message=job.message,
        as_of=job.as_of,
        created_at=job.created_at.isoformat(),
        finished_at=job.finished_at.isoformat() if job.finished_at else None,
        summary=job.summary if job.result is not None else None,
        result=job.result if full else None,
    )


def _export(file: services.ExportFile) -> Response[bytes]:
    return Response(
        content=file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


def _export_route(fmt: services.ExportFormat, summary: str) -> Any:
    """``GET /export.<fmt>``: the network as on screen (the page's filters), or with
    ``history=true`` every claim whatever its dates; audited in the service."""

    async def export(
        self: Any,
        principal: NamedDependency[Principal],
        as_of: FromQuery[date | None] = None,
        municipality: FromQuery[list[int] | None] = None,
        kinds: FromQuery[list[str] | None] = None,
        history: FromQuery[bool] = False,
    ) -> Response[bytes]:
        flt = _filter(principal, as_of, municipality, kinds, strict=True)
        return _export(await services.export_network(principal, flt, fmt, history=history))

    export.__doc__ = summary
    return get(
        f"/export.{fmt}",
        opt=READ,
        name=f"api.network.export_{fmt.replace('.', '_')}",
        media_type=services.EXPORT_MEDIA_TYPES[fmt],
    )(export)


class NetworkApi(Controller):
    path = "/api/v1/network"
    tags = ["network"]

    @get("/groups", opt=READ, name="api.network.groups")
    async def group_figure(
        self,
        principal: NamedDependency[Principal],
        as_of: FromQuery[date | None] = None,
        municipality: FromQuery[list[int] | None] = None,
        kinds: FromQuery[list[str] | None] = None,
        colour: FromQuery[str] = "community",
        center: FromQuery[int | None] = None,
        radius: FromQuery[int] = 1,
    ) -> FigureOut:
        """The group network as a plotly figure; with ``center`` one group's ego
        network (``radius`` 1 or 2)."""
        flt = _filter(principal, as_of, municipality, kinds, strict=True)
        view = await services.group_view(
            principal, flt, colour_by=colour, center=center, radius=radius
        )
        return _figure_out(view)

    @get("/analyses", opt=READ, name="api.network.analyses")
    async def analyses(
        self,
        principal: NamedDependency[Principal],
        as_of: FromQuery[date | None] = None,
        municipality: FromQuery[list[int] | None] = None,
        kinds: FromQuery[list[str] | None] = None,
        group: FromQuery[int | None] = None,
        radius: FromQuery[int] = 1,
        path_from: FromQuery[int | None] = None,
        path_to: FromQuery[int | None] = None,
        diff_from: FromQuery[date | None] = None,
        diff_to: FromQuery[date | None] = None,
    ) -> AnalysesOut:
        """Group-level analyses as of a date; with ``group`` also its conflicts and
        ego network, with ``path_from``/``path_to`` the relation path, with
        ``diff_from``/``diff_to`` what changed between the dates."""
        flt = _filter(principal, as_of, municipality, kinds, strict=True)
        view = await services.group_view(principal, flt)
        a = view.analysis
        out = AnalysesOut(
            as_of=flt.as_of.isoformat(),
            summary=a.summary,
            groups=[
                GroupFiguresOut(
                    group=_ref(f.group),
                    members=f.group.members,
                    allies=f.allies,
                    rivals=f.rivals,
                    truces=f.truces,
                    centrality=f.centrality,
                    community=f.community,
                )
                for f in a.groups
            ],
            conflicts=[ConflictOut(_ref(x), _ref(y), i) for x, y, i in a.conflicts],
            conflict_clusters=[[_ref(g) for g in c] for c in a.conflict_clusters],
            communities=[[_ref(g) for g in c] for c in a.communities],
            bridging_groups=[_ref(g) for g in a.bridging],
            bridges=[[_ref(x), _ref(y)] for x, y in a.bridges],
            unbalanced_triads=[[_ref(g) for g in t] for t in a.unbalanced_triads],
        )
        if group is not None:
            out.conflicts_of = [_ref(g) for g in services.conflicts_of(view.graph, group)]
            ego = await services.group_view(principal, flt, center=group, radius=radius)
            out.ego = [_ref(services.node_of(ego.graph, n)) for n in sorted(ego.graph)]
        if path_from is not None and path_to is not None:
            p = services.relation_path(view.graph, path_from, path_to)
            out.path = PathOut(
                groups=[_ref(g) for g in p.path] if p.path is not None else None, kinds=p.kinds
            )
        if diff_from is not None and diff_to is not None:
            out.diff = _diff_out(services.diff(view.data, flt, diff_from, diff_to))
        return out

    @get("/person/{person_id:int}", opt=READ, name="api.network.person")
    async def person_figure(
        self,
        principal: NamedDependency[Principal],
        person_id: FromPath[int],
        as_of: FromQuery[date | None] = None,
        kinds: FromQuery[list[str] | None] = None,
        radius: FromQuery[int] = 1,
    ) -> PersonFigureOut:
        """A person's ego view (people by code only); the read is audited."""
        flt = _filter(principal, as_of, None, kinds, strict=True)
        view = await services.person_view(principal, person_id, flt, radius)
        return PersonFigureOut(
            person_code=view.code,
            radius=view.radius,
            figure=view.figure,
            webgl=view.webgl,
            as_of=flt.as_of.isoformat(),
            groups=[_ref(g) for g in view.groups],
            co_members=view.people,
        )

    export_graphml = _export_route("graphml", "The group graph as GraphML (igraph, i2).")
    export_gexf = _export_route("gexf", "The group graph as dynamic GEXF 1.3 (Gephi).")
    export_csv = _export_route("csv", "The group graph's edge list as CSV.")
    export_nodes_csv = _export_route("nodes.csv", "The group graph's node list as CSV.")

    @post("/jobs", opt=READ, name="api.network.jobs_create", status_code=202)
    async def create_job(
        self, principal: NamedDependency[Principal], data: JSONBody[JobIn]
    ) -> JobOut:
        """Queue a person-level analysis; poll ``GET /jobs/{id}`` for progress."""
        if data.kind not in jobs.KIND_LABELS:
            raise HTTPException(status_code=400, detail=gettext("Okänd analys."))
        flt = _filter(principal, data.as_of, None, None)
        return _job_out(await jobs.create_job(principal, data.kind, flt))

    @get("/jobs/{job_id:int}", opt=READ, name="api.network.jobs_show")
    async def show_job(
        self,
        principal: NamedDependency[Principal],
        job_id: FromPath[int],
        include: FromQuery[str] = "",
    ) -> JobOut:
        """Status and progress; counts when done. ``include=result`` adds the result
        (person codes), and that read is audited."""
        full = include == "result"
        return _job_out(await jobs.get_job(principal, job_id, with_result=full), full=full)

    @post("/jobs/{job_id:int}/cancel", opt=READ, name="api.network.jobs_cancel", status_code=200)
    async def cancel_job(
        self, principal: NamedDependency[Principal], job_id: FromPath[int]
    ) -> JobOut:
        """Cancel: a queued job ends now, a running one stops at its next step."""
        await jobs.cancel_job(principal, job_id)
        return _job_out(await jobs.get_job(principal, job_id))


def _form_context(
    flt: services.NetworkFilter, municipalities: list[tuple[int, str]], colour: str
) -> dict[str, Any]:
    return {
        "flt": flt,
        "municipalities": municipalities,
        "kind_choices": [(k, gettext(figures.KIND_LABELS[k])) for k in services.ALL_KINDS],
        "colour": colour if colour in figures.COLOUR_BY else "community",
        "qs": urlencode(flt.query(), doseq=True),
        "kind_labels": translated(figures.KIND_LABELS),
        "row_limit": ROW_LIMIT,
    }


async def _show_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    view: services.GroupView,
    colour: str,
    extra: dict[str, Any] | None = None,
) -> Template:
    """The network page: the figure (fetched, or embedded for a saved view), the
    filters and the sortable tables."""
    context = _form_context(view.flt, await services.municipality_choices(principal), colour)
    return page(
        request,
        "network/show.html",
        {
            **context,
            **vendor_context(),
            **slider_context(view.data, view.flt.as_of),
            "analysis": view.analysis,
            "view": view,
            "can_save": principal.can(Permission.saved_views_write),
            **(extra or {}),
        },
    )


def vendor_context() -> dict[str, Any]:
    """What templates/network/_plotly.html needs to load plotly.js."""
    return {
        "plotly_js_url": assets.plotly_js_url(),
        "plotly_css_url": assets.plotly_css_url(),
        "plotly_style_ids": assets.injected_style_ids(),
    }


class NetworkPages(Controller):
    path = "/network"
    include_in_schema = False

    @get("/", opt=READ, name="network.show")
    async def show_network(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        as_of: FromQuery[date | None] = None,
        municipality: FromQuery[list[int] | None] = None,
        kinds: FromQuery[list[str] | None] = None,
        colour: FromQuery[str] = "community",
    ) -> Template:
        flt = _filter(principal, as_of, municipality, kinds)
        view = await services.group_view(principal, flt, colour_by=colour)
        return await _show_page(request, principal, view, colour)

    @get("/analyses", opt=READ, name="network.analyses")
    async def show_analyses(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        as_of: FromQuery[date | None] = None,
        municipality: FromQuery[list[int] | None] = None,
        kinds: FromQuery[list[str] | None] = None,
        group: FromQuery[int | None] = None,
        radius: FromQuery[int] = 1,
        path_from: FromQuery[int | None] = None,
        path_to: FromQuery[int | None] = None,
        diff_from: FromQuery[date | None] = None,
        diff_to: FromQuery[date | None] = None,
    ) -> Template:
        flt = _filter(principal, as_of, municipality, kinds)
        view = await services.group_view(principal, flt)
        context: dict[str, Any] = {
            **_form_context(flt, await services.municipality_choices(principal), "community"),
            **vendor_context(),
            "view": view,
            "groups": sorted(view.data.groups, key=lambda g: (g.name.casefold(), g.id)),
            "group": group,
            "radius": radius if radius in (1, 2) else 1,
            "path_from": path_from,
            "path_to": path_to,
            "diff_from": diff_from,
            "diff_to": diff_to,
        }
        if group is not None:
            if group not in view.graph:
                raise NotFoundException()
            ego = await services.group_view(principal, flt, center=group, radius=context["radius"])
            context["focus"] = ego.center
            context["conflicts_of"] = services.conflicts_of(view.graph, group)
            context["ego_groups"] = sorted(
                (services.node_of(ego.graph, n) for n in ego.graph if n != group),
                key=lambda g: (g.name.casefold(), g.id),
            )
        if path_from is not None and path_to is not None:
            context["path"] = services.relation_path(view.graph, path_from, path_to)
        if diff_from is not None and diff_to is not None:
            context["diff"] = services.diff(view.data, flt, diff_from, diff_to)
        return page(request, "network/analyses.html", context)

    @get("/person/{person_id:int}", opt=READ, name="network.person")
    async def show_person(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        person_id: FromPath[int],
        as_of: FromQuery[date | None] = None,
        radius: FromQuery[int] = 1,
    ) -> Template:
        flt = _filter(principal, as_of, None, None)
        view = await services.person_view(principal, person_id, flt, radius)
        # The figure goes into the page itself: one audited read per view, not two.
        payload = {"figure": view.figure, "webgl": view.webgl}
        return page(
            request,
            "network/person.html",
            {
                "view": view,
                "payload": payload,
                "kind_labels": translated(figures.KIND_LABELS),
                **vendor_context(),
            },
        )

    @get("/jobs", opt=READ, name="network.jobs")
    async def list_jobs(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return page(
            request,
            "network/jobs.html",
            {
                "jobs": await jobs.list_jobs(principal),
                "kinds": list(translated(jobs.KIND_LABELS).items()),
                "today": services.today(),
            },
        )

    @post("/jobs", opt=READ, name="network.jobs_create")
    async def create_job(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[JobForm],
    ) -> Redirect:
        if data.kind not in jobs.KIND_LABELS:
            return redirect_with_flash(
                request, "/network/jobs", gettext("Välj en analys."), "error"
            )
        try:
            as_of = date.fromisoformat(data.as_of) if data.as_of else None
        except ValueError:
            return redirect_with_flash(
                request, "/network/jobs", gettext("Datumet ska skrivas ÅÅÅÅ-MM-DD."), "error"
            )
        job = await jobs.create_job(principal, data.kind, _filter(principal, as_of, None, None))
        return redirect_with_flash(
            request,
            "/network/jobs",
            gettext("Analysen är köad (nummer %(id)s).") % {"id": job.id},
            "success",
        )

    @get("/jobs/{job_id:int}", opt=READ, name="network.job")
    async def show_job(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        job_id: FromPath[int],
    ) -> Template:
        job = await jobs.get_job(principal, job_id, with_result=True)
        return page(request, "network/job.html", {"job": job})

    @post("/jobs/{job_id:int}/cancel", opt=READ, name="network.job_cancel")
    async def cancel_job(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        job_id: FromPath[int],
    ) -> Redirect:
        await jobs.cancel_job(principal, job_id)
        return redirect_with_flash(request, f"/network/jobs/{job_id}", gettext("Analysen avbryts."))


@get(assets.plotly_js_url(), opt=PUBLIC, name="vendor.plotly_js", include_in_schema=False)
async def plotly_js() -> File:
    """The committed partial plotly.js bundle, under its content-hashed name."""
    return File(
        path=assets.PLOTLY_JS,
        media_type="text/javascript",
        content_disposition_type="inline",
        headers=IMMUTABLE,
    )


@get(assets.plotly_css_url(), opt=PUBLIC, name="vendor.plotly_css", include_in_schema=False)
async def plotly_css() -> Response[str]:
    """plotly.js's global style rules as a stylesheet, so it injects no <style>."""
    return Response(content=assets.plotly_css(), media_type="text/css", headers=IMMUTABLE)


def _view_form(form: Any) -> saved.ViewForm:
    return saved.ViewForm(
        name=str(form.get("name", "")),
        note=str(form.get("note", "")),
        as_of=str(form.get("as_of", "")),
        municipality=[str(v) for v in form.getall("municipality", [])],
        kinds=[str(v) for v in form.getall("kinds", [])],
        colour=str(form.get("colour", "community")),
        center=str(form.get("center", "")),
        radius=str(form.get("radius", "1")),
    )


class SavedViewPages(Controller):
    """An analyst's saved pictures of the group network (gvi.networks.saved)."""

    path = "/network/views"
    include_in_schema = False

    @get("/", opt=VIEWS, name="network.views")
    async def list_views(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return page(request, "network/views.html", {"views": await saved.list_views(principal)})

    @get("/new", opt=VIEWS, name="network.views_new")
    async def new_view(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        """The save form, filled from the picture's query (what the page showed)."""
        form = _view_form(request.query_params)
        return page(request, "network/view_form.html", {"form": form, "errors": {}})

    @post("/", opt=VIEWS, name="network.views_create")
    async def create_view(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        form = _view_form(await request.form())

        def again(exc: Any, status: int) -> Template:
            shown = refusal_view(exc)
            code = shown.pop("status_code")
            context = {"form": form, **shown}
            return page(request, "network/view_form.html", context, status_code=code)

        return await submit(
            request,
            saved.save_view(principal, form),
            rerender=again,
            to=lambda view_id: f"/network/views/{view_id}",
            flash=gettext("Vyn är sparad."),
        )

    @get("/{view_id:int}", opt=VIEWS, name="network.views_open")
    async def open_view(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        view_id: FromPath[int],
    ) -> Template:
        """The saved picture, redrawn within the opener's scope now (audited)."""
        opened = await saved.open_view(principal, view_id)
        payload = {"figure": opened.view.figure, "webgl": opened.view.webgl}
        return await _show_page(
            request,
            principal,
            opened.view,
            opened.saved.params.colour,
            {"saved": opened.saved, "payload": payload, "center_lost": opened.center_lost},
        )

    @post("/{view_id:int}/delete", opt=VIEWS, name="network.views_delete")
    async def delete_view(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        view_id: FromPath[int],
    ) -> Redirect:
        await saved.remove_view(principal, view_id)
        return redirect_with_flash(request, "/network/views", gettext("Vyn är borttagen."))


NETWORK_ROUTES = [NetworkApi, NetworkPages, SavedViewPages, plotly_js, plotly_css]
