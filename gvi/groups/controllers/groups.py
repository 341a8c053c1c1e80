"""Groups and their aliases, and the CSV import of a group audit: the JSON API
under /api/v1/groups and the pages under /groups. Thin: :mod:`gvi.groups.services`
owns scope, queries and audit."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import clock, rest
from gvi.core.failures import NotVisible, Refused
from gvi.core.forms import confirmed, read_id, read_version
from gvi.core.paging import PAGE_SIZE, page_offset, pages_count
from gvi.core.params import PageNumber
from gvi.core.web import redirect_with_flash, submit
from gvi.groups import forms, importer, services
from gvi.groups.controllers.shapes import (
    aliases_out,
    detail_out,
    group_out,
    plain_group,
    report_out,
)
from gvi.groups.controllers.shared import (
    READ,
    WRITE,
    AnyRequest,
    asked,
    group_page,
    refusal_context,
)
from gvi.groups.forms import AliasForm, ArchiveForm, GroupForm, form_message
from gvi.groups.schemas import (
    AliasIn,
    AliasOut,
    GroupDetailOut,
    GroupFullDetailOut,
    GroupFullOut,
    GroupIn,
    GroupOut,
    GroupPage,
    GroupUpdateIn,
    ImportReportOut,
)
from gvi.i18n import gettext

# Three files of at most 5 MB each, and the rest of the form.
IMPORT_BODY_LIMIT = 3 * importer.MAX_FILE_BYTES + 1024 * 1024
IMPORT_FIELDS = {
    "groups": importer.GROUPS_FILE,
    "members": importer.MEMBERS_FILE,
    "relations": importer.RELATIONS_FILE,
}


async def _upload(request: AnyRequest) -> tuple[dict[str, bytes | None], dict[str, str]]:
    """The three files of the import form (None: not chosen) and the other fields."""
    form = await request.form()
    files: dict[str, bytes | None] = {}
    for field_name, file in IMPORT_FIELDS.items():
        value = form.get(field_name)
        if isinstance(value, UploadFile) and value.filename:
            # One byte more than allowed is enough to say it is too big.
            files[file] = await value.read(importer.MAX_FILE_BYTES + 1)
        else:
            files[file] = None
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return files, fields


class GroupsApi(Controller):
    path = "/api/v1/groups"
    tags = ["groups"]

    @rest.listing("/", opt=READ, name="api.groups.list")
    async def list_groups(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
        municipality_id: FromQuery[int | None] = None,
        status: FromQuery[str] = "",
    ) -> Response[GroupPage]:
        rows, total = await services.list_groups(
            principal,
            search=q,
            municipality_id=municipality_id,
            status=rest.known_value(status, forms.STATUS_LABELS, "status"),
            **window.rows,
        )
        return window.page_of(GroupPage, [plain_group(g) for g in rows], total)

    @rest.create("/", opt=WRITE, name="api.groups.create")
    async def create_group(
        self, principal: NamedDependency[Principal], data: JSONBody[GroupIn]
    ) -> Response[GroupOut | GroupFullOut]:
        draft = asked(services.GroupDraft, data)
        group_id = await services.create_group(principal, draft)
        return rest.created(self.path, group_out(await services.get_group(principal, group_id)))

    @post(
        "/import",
        opt=READ,
        name="api.groups.import",
        request_max_body_size=IMPORT_BODY_LIMIT,
        status_code=200,
        responses={
            422: ResponseSpec(ImportReportOut, description="The upload has problems: none written.")
        },
    )
    async def import_audit(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Response[ImportReportOut]:
        """Multipart form: files ``groups``, ``members``, ``relations`` (any of them) and
        ``dry_run`` (true unless "false"). 200 when the upload is valid (written unless a
        dry run), 422 with every problem otherwise; nothing is written then."""
        files, fields = await _upload(request)
        dry_run = fields.get("dry_run", "true").strip().lower() not in ("false", "0", "no", "off")
        result = await services.import_group_audit(principal, files, dry_run=dry_run)
        return Response(report_out(result), status_code=200 if result.ok else 422)

    @rest.show("/{group_id:int}", opt=READ, name="api.groups.show")
    async def show_group(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        as_of: FromQuery[date | None] = None,
        all_claims: FromQuery[bool] = False,
    ) -> Response[GroupDetailOut | GroupFullDetailOut]:
        """Members and relations valid on ``as_of`` (today by default), or every
        unarchived claim with ``all_claims=true``. The ETag is the group's version."""
        when = None if all_claims else (as_of or clock.today())
        detail = detail_out(await services.group_detail(principal, group_id, as_of=when))
        return rest.tagged(detail, version=detail.group.version)

    @rest.update("/{group_id:int}", opt=WRITE, name="api.groups.update")
    async def update_group(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: JSONBody[GroupUpdateIn],
        expected: rest.Expected,
    ) -> Response[GroupOut | GroupFullOut]:
        """Fields left out keep their value."""
        changes = asked(services.GroupChanges, data)
        return await rest.patched(
            services.update_group, _group, principal, group_id, expected, changes
        )

    @rest.archive("/{group_id:int}", opt=WRITE, name="api.groups.archive")
    async def archive_group(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        expected: rest.Expected,
    ) -> None:
        """Archive (never delete): the group leaves lists; its claims stay as history."""
        await services.archive_group(principal, group_id, expected)

    @post("/{group_id:int}/aliases", opt=WRITE, name="api.groups.aliases.add")
    async def add_alias(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: JSONBody[AliasIn],
    ) -> AliasOut:
        alias_id = await services.add_alias(principal, group_id, data.alias)
        group = await services.get_group(principal, group_id)
        return next(a for a in aliases_out(group) if a.id == alias_id)

    @post(
        "/{group_id:int}/aliases/{alias_id:int}/remove",
        opt=WRITE,
        name="api.groups.aliases.remove",
        status_code=200,
    )
    async def remove_alias(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        alias_id: FromPath[int],
    ) -> GroupOut | GroupFullOut:
        await services.remove_alias(principal, group_id, alias_id)
        return await _group(principal, group_id)


async def _group(principal: Principal, group_id: int) -> GroupOut | GroupFullOut:
    return group_out(await services.get_group(principal, group_id))


def _group_form_values(group: services.GroupView) -> GroupForm:
    return GroupForm(
        version=str(group.version),
        name=group.name,
        municipality=str(group.municipality_id),
        area=group.area,
        status=group.status,
        notes=group.notes if isinstance(group, services.GroupFull) else "",
    )


async def _new_group_page(
    request: AnyRequest,
    principal: Principal,
    form: GroupForm,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return group_page(
        request,
        "groups/new.html",
        {
            "form": form,
            "errors": errors or {},
            "municipalities": await services.municipality_choices(principal),
        },
        status_code=status_code,
    )


async def _edit_group_page(
    request: AnyRequest,
    principal: Principal,
    group_id: int,
    *,
    form: GroupForm | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    alias: str = "",
    status_code: int = 200,
) -> Template:
    group = await services.get_group(principal, group_id)
    return group_page(
        request,
        "groups/edit.html",
        {
            "group": group,
            "form": form or _group_form_values(group),
            "errors": errors or {},
            "error": error,
            "alias": alias,
            "municipalities": await services.municipality_choices(principal),
        },
        status_code=status_code,
    )


def _municipality_of(form: GroupForm, errors: dict[str, str]) -> int | None:
    return read_id(form.municipality, "municipality", errors, gettext("Välj en kommun i listan."))


class GroupPages(Controller):
    path = "/groups"
    include_in_schema = False

    @get("/", opt=READ, name="groups.list")
    async def list_groups(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        municipality: FromQuery[str] = "",
        status: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        page_no = max(page, 1)
        municipality_id = read_id(municipality, "municipality", {}, "")
        rows, total = await services.list_groups(
            principal,
            search=q,
            municipality_id=municipality_id,
            status=status,
            sort=sort,
            limit=PAGE_SIZE,
            offset=page_offset(page_no),
        )
        shown_status = status if status in forms.STATUS_LABELS else ""
        return group_page(
            request,
            "groups/list.html",
            {
                "groups": rows,
                "total": total,
                "q": q,
                "municipality": municipality_id,
                "status": shown_status,
                "params": {
                    "q": q,
                    "municipality": municipality_id,
                    "status": shown_status,
                    "sort": services.GROUP_SORTS.parse(sort).param,
                },
                "municipalities": await services.municipality_choices(principal),
                "page": page_no,
                "pages": pages_count(total),
                "filtered": bool(q.strip() or municipality_id or status),
            },
        )

    @get("/new", opt=WRITE, name="groups.new")
    async def new_group(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        choices = await services.municipality_choices(principal)
        form = GroupForm(municipality=str(choices[0].id) if len(choices) == 1 else "")
        return await _new_group_page(request, principal, form)

    @post("/new", opt=WRITE, name="groups.create")
    async def create_group(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[GroupForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        municipality_id = _municipality_of(data, errors)
        draft = services.GroupDraft(
            name=data.name,
            municipality_id=municipality_id,
            area=data.area,
            status=data.status,
            notes=data.notes,
        )

        async def rerender(exc: Refused, status: int) -> Template:
            return await _new_group_page(
                request, principal, data, errors=refusal_context(exc)["errors"], status_code=status
            )

        return await submit(
            request,
            services.create_group(principal, draft, known_errors=errors),
            rerender=rerender,
            to=lambda group_id: f"/groups/{group_id}",
            flash=gettext("Gruppen är upplagd."),
        )

    @get("/import", opt=READ, name="groups.import_form")
    async def import_form(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        if not services.can_import(principal):
            raise NotVisible()
        return _import_page(request, principal, None)

    @post(
        "/import",
        opt=READ,
        name="groups.import",
        request_max_body_size=IMPORT_BODY_LIMIT,
    )
    async def import_audit(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        if not services.can_import(principal):
            raise NotVisible()
        files, fields = await _upload(request)
        dry_run = "dry_run" in fields
        result = await services.import_group_audit(principal, files, dry_run=dry_run)
        if result.written:
            c = result.counts
            return redirect_with_flash(
                request,
                "/groups",
                gettext(
                    "Importen är klar: %(groups)s grupper, %(aliases)s alias, %(memberships)s "
                    "medlemskap och %(relations)s relationer sparades."
                )
                % {
                    "groups": c.groups,
                    "aliases": c.aliases,
                    "memberships": c.memberships,
                    "relations": c.relations,
                },
            )
        return _import_page(
            request, principal, result, dry_run=dry_run, status_code=200 if result.ok else 400
        )

    @get("/{group_id:int}", opt=READ, name="groups.show")
    async def show_group(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        visa: FromQuery[str] = "",
    ) -> Template:
        show_all = visa == "alla"
        detail = await services.group_detail(
            principal, group_id, as_of=None if show_all else services.today()
        )
        return group_page(
            request,
            "groups/show.html",
            {
                "detail": detail,
                "group": detail.group,
                "full": isinstance(detail.group, services.GroupFull),
                "show_all": show_all,
            },
        )

    @get("/{group_id:int}/edit", opt=WRITE, name="groups.edit_form")
    async def edit_form(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
    ) -> Template:
        return await _edit_group_page(request, principal, group_id)

    @post("/{group_id:int}/edit", opt=WRITE, name="groups.edit")
    async def edit_group(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: URLEncodedBody[GroupForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        municipality_id = _municipality_of(data, errors)
        changes = services.GroupChanges(
            name=data.name,
            municipality_id=municipality_id,
            area=data.area,
            status=data.status,
            notes=data.notes,
        )

        async def rerender(exc: Refused, status: int) -> Template:
            # What was typed stays on the page, with the version it was based on, so a
            # second save after a conflict conflicts again instead of overwriting.
            return await _edit_group_page(
                request, principal, group_id, form=data, status_code=status, **refusal_context(exc)
            )

        return await submit(
            request,
            services.update_group(
                principal, group_id, read_version(data.version), changes, known_errors=errors
            ),
            rerender=rerender,
            to=f"/groups/{group_id}",
            flash=gettext("Ändringarna är sparade."),
        )

    @post("/{group_id:int}/archive", opt=WRITE, name="groups.archive")
    async def archive_group(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: URLEncodedBody[ArchiveForm],
    ) -> Template | Redirect:
        if not confirmed(data.confirm):
            return await _edit_group_page(
                request,
                principal,
                group_id,
                errors={"archive.confirm": form_message("confirm")},
                status_code=400,
            )

        async def rerender(exc: Refused, status: int) -> Template:
            return await _edit_group_page(
                request, principal, group_id, status_code=status, **refusal_context(exc)
            )

        return await submit(
            request,
            services.archive_group(principal, group_id, read_version(data.version)),
            rerender=rerender,
            to="/groups",
            flash=gettext(
                "Gruppen är arkiverad. Den syns inte längre i listor, men historiken finns kvar."
            ),
        )

    @post("/{group_id:int}/aliases", opt=WRITE, name="groups.aliases.add")
    async def add_alias(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: URLEncodedBody[AliasForm],
    ) -> Template | Redirect:

        async def rerender(exc: Refused, status: int) -> Template:
            return await _edit_group_page(
                request,
                principal,
                group_id,
                alias=data.alias,
                status_code=status,
                **refusal_context(exc),
            )

        return await submit(
            request,
            services.add_alias(principal, group_id, data.alias),
            rerender=rerender,
            to=f"/groups/{group_id}/edit#aliases",
            flash=gettext("Aliaset är tillagt."),
        )

    @post(
        "/{group_id:int}/aliases/{alias_id:int}/remove",
        opt=WRITE,
        name="groups.aliases.remove",
    )
    async def remove_alias(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        alias_id: FromPath[int],
    ) -> Redirect:
        await services.remove_alias(principal, group_id, alias_id)
        return redirect_with_flash(
            request, f"/groups/{group_id}/edit#aliases", gettext("Aliaset är borttaget.")
        )


def _import_page(
    request: AnyRequest,
    principal: Principal,
    result: services.ImportResult | None,
    *,
    dry_run: bool = True,
    status_code: int = 200,
) -> Template:
    by_file: dict[str, list[importer.Problem]] = {}
    for problem in result.problems if result else []:
        by_file.setdefault(problem.file, []).append(problem)
    return group_page(
        request,
        "groups/import.html",
        {
            "result": result,
            "by_file": by_file,
            "dry_run": dry_run,
            "columns": importer.COLUMNS,
            "required": importer.REQUIRED_COLUMNS,
            "max_mb": importer.MAX_FILE_BYTES // (1024 * 1024),
            "max_rows": importer.MAX_ROWS,
            "can_groups": principal.can(Permission.groups_write),
            "can_members": principal.can(Permission.memberships_write),
            "can_relations": principal.can(Permission.relations_write),
        },
        status_code=status_code,
    )
