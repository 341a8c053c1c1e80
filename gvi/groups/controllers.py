"""The group register: JSON API under /api/v1/groups, /api/v1/memberships,
/api/v1/relations and /api/v1/review, and the pages under /groups,
/memberships, /relations and /review.

Thin on purpose: handlers read the request, call :mod:`gvi.groups.services`
(which owns scope, queries and audit) and pick the output shape. Analysts get
the structs without free text; see :mod:`gvi.groups.schemas`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.paging import PageNumber
from gvi.core.web import page, redirect_with_flash, translated
from gvi.groups import forms, importer, services
from gvi.groups.forms import (
    AliasForm,
    ArchiveForm,
    GroupForm,
    MembershipForm,
    RelationForm,
    ReviewForm,
)
from gvi.groups.schemas import (
    AliasIn,
    AliasOut,
    ConfirmIn,
    EndIn,
    GroupDetailOut,
    GroupFullDetailOut,
    GroupFullOut,
    GroupIn,
    GroupOut,
    GroupPage,
    GroupUpdateIn,
    ImportCountsOut,
    ImportProblemOut,
    ImportReportOut,
    MembershipFullOut,
    MembershipFullPage,
    MembershipIn,
    MembershipOut,
    MembershipPage,
    MembershipUpdateIn,
    RelationFullOut,
    RelationFullPage,
    RelationIn,
    RelationOut,
    RelationPage,
    RelationUpdateIn,
    ReviewOut,
    VersionIn,
)
from gvi.i18n import gettext
from gvi.people import services as people

PAGE_SIZE = 50
READ = {"permission": Permission.groups_read}
WRITE = {"permission": Permission.groups_write}
MEMBERS = {"permission": Permission.memberships_write}
RELATIONS = {"permission": Permission.relations_write}
# Three files of at most 5 MB each, and the rest of the form.
IMPORT_BODY_LIMIT = 3 * importer.MAX_FILE_BYTES + 1024 * 1024
IMPORT_FIELDS = {
    "groups": importer.GROUPS_FILE,
    "members": importer.MEMBERS_FILE,
    "relations": importer.RELATIONS_FILE,
}

AnyRequest = Request[Any, Any, Any]


# --- output shapes -----------------------------------------------------------------


def _aliases(group: services.GroupView) -> list[AliasOut]:
    return [AliasOut(id=a.id, alias=a.alias) for a in group.aliases]


def group_out(group: services.GroupView) -> GroupOut | GroupFullOut:
    values: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "municipality_id": group.municipality_id,
        "municipality": group.municipality,
        "area": group.area,
        "status": group.status,
        "version": group.version,
        "aliases": _aliases(group),
    }
    if isinstance(group, services.GroupFull):
        return GroupFullOut(**values, notes=group.notes)
    return GroupOut(**values)


def _plain_group(group: services.GroupView) -> GroupOut:
    # Lists never carry notes, whoever asks.
    return GroupOut(
        id=group.id,
        name=group.name,
        municipality_id=group.municipality_id,
        municipality=group.municipality,
        area=group.area,
        status=group.status,
        version=group.version,
        aliases=_aliases(group),
    )


def membership_out(m: services.MembershipView) -> MembershipOut | MembershipFullOut:
    values: dict[str, Any] = {
        "id": m.id,
        "person_id": m.person_id,
        "person_code": m.person_code,
        "group_id": m.group_id,
        "group": m.group_name,
        "role": m.role,
        "confidence": m.confidence,
        "valid_from": m.valid_from,
        "valid_to": m.valid_to,
        "review_by": m.review_by,
        "version": m.version,
    }
    if isinstance(m, services.MembershipFull):
        return MembershipFullOut(**values, source=m.source, recorded_by=m.recorded_by)
    return MembershipOut(**values)


def relation_out(r: services.RelationView) -> RelationOut | RelationFullOut:
    values: dict[str, Any] = {
        "id": r.id,
        "group_a_id": r.group_a_id,
        "group_a": r.group_a,
        "group_b_id": r.group_b_id,
        "group_b": r.group_b,
        "kind": r.kind,
        "intensity": r.intensity,
        "confidence": r.confidence,
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "review_by": r.review_by,
        "version": r.version,
    }
    if isinstance(r, services.RelationFull):
        return RelationFullOut(**values, source=r.source, recorded_by=r.recorded_by)
    return RelationOut(**values)


def _detail_out(detail: services.GroupDetail) -> GroupDetailOut | GroupFullDetailOut:
    group = group_out(detail.group)
    members = [membership_out(m) for m in detail.members]
    relations = [relation_out(r) for r in detail.relations]
    if isinstance(group, GroupFullOut):
        return GroupFullDetailOut(
            group=group,
            members=[m for m in members if isinstance(m, MembershipFullOut)],
            relations=[r for r in relations if isinstance(r, RelationFullOut)],
            as_of=detail.as_of,
        )
    return GroupDetailOut(
        group=group,
        members=[m for m in members if isinstance(m, MembershipOut)],
        relations=[r for r in relations if isinstance(r, RelationOut)],
        as_of=detail.as_of,
    )


def _report_out(result: services.ImportResult) -> ImportReportOut:
    return ImportReportOut(
        dry_run=result.dry_run,
        valid=result.ok,
        written=result.written,
        counts=ImportCountsOut(
            groups=result.counts.groups,
            aliases=result.counts.aliases,
            memberships=result.counts.memberships,
            relations=result.counts.relations,
        ),
        rows=result.rows,
        problems=[
            ImportProblemOut(file=p.file, line=p.line, field=p.field, message=p.message)
            for p in result.problems
        ],
    )


def _bad_request(exc: services.FormErrors) -> HTTPException:
    detail = "; ".join(f"{key}: {message}" for key, message in exc.errors.items())
    return HTTPException(status_code=400, detail=detail)


def _conflict(exc: services.VersionConflict) -> HTTPException:
    return HTTPException(status_code=409, detail=str(exc))


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


# --- JSON API --------------------------------------------------------------------------


class GroupsApi(Controller):
    path = "/api/v1/groups"
    tags = ["groups"]

    @get("/", opt=READ, name="api.groups.list")
    async def list_groups(
        self,
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        municipality_id: FromQuery[int | None] = None,
        status: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> GroupPage:
        page = max(page, 1)
        rows, total = await services.list_groups(
            principal,
            search=q,
            municipality_id=municipality_id,
            status=status,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        return GroupPage(
            items=[_plain_group(g) for g in rows], total=total, page=page, page_size=PAGE_SIZE
        )

    @post("/", opt=WRITE, name="api.groups.create")
    async def create_group(
        self, principal: NamedDependency[Principal], data: JSONBody[GroupIn]
    ) -> GroupOut | GroupFullOut:
        draft = services.GroupDraft(
            name=data.name,
            municipality_id=data.municipality_id,
            area=data.area,
            status=data.status,
            notes=data.notes,
        )
        try:
            group_id = await services.create_group(principal, draft)
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        return group_out(await services.get_group(principal, group_id))

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
        return Response(_report_out(result), status_code=200 if result.ok else 422)

    @get("/{group_id:int}", opt=READ, name="api.groups.show")
    async def show_group(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        as_of: FromQuery[date | None] = None,
        all_claims: FromQuery[bool] = False,
    ) -> GroupDetailOut | GroupFullDetailOut:
        """Members and relations valid on ``as_of`` (today by default), or every
        unarchived claim with ``all_claims=true``."""
        when = None if all_claims else (as_of or services.today())
        return _detail_out(await services.group_detail(principal, group_id, as_of=when))

    @post("/{group_id:int}", opt=WRITE, name="api.groups.update", status_code=200)
    async def update_group(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: JSONBody[GroupUpdateIn],
    ) -> GroupOut | GroupFullOut:
        changes = services.GroupChanges(
            name=data.name,
            municipality_id=data.municipality_id,
            area=data.area,
            status=data.status,
            notes=data.notes,
        )
        try:
            await services.update_group(principal, group_id, data.version, changes)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        return group_out(await services.get_group(principal, group_id))

    @post("/{group_id:int}/archive", opt=WRITE, name="api.groups.archive", status_code=200)
    async def archive_group(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: JSONBody[VersionIn],
    ) -> VersionIn:
        try:
            await services.archive_group(principal, group_id, data.version)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        return VersionIn(version=data.version + 1)

    @post("/{group_id:int}/aliases", opt=WRITE, name="api.groups.aliases.add")
    async def add_alias(
        self,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: JSONBody[AliasIn],
    ) -> AliasOut:
        try:
            alias_id = await services.add_alias(principal, group_id, data.alias)
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        group = await services.get_group(principal, group_id)
        return next(a for a in _aliases(group) if a.id == alias_id)

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
        return group_out(await services.get_group(principal, group_id))


class MembershipsApi(Controller):
    path = "/api/v1/memberships"
    tags = ["memberships"]

    @get("/", opt=READ, name="api.memberships.list")
    async def list_memberships(
        self,
        principal: NamedDependency[Principal],
        group_id: FromQuery[int | None] = None,
        person_id: FromQuery[int | None] = None,
        as_of: FromQuery[date | None] = None,
        page: PageNumber = 1,
    ) -> MembershipPage | MembershipFullPage:
        """Memberships you may see, of one group or person if asked; every claim when
        ``as_of`` is left out. Each call is recorded in the audit trail."""
        page = max(page, 1)
        rows, total = await services.list_memberships(
            principal,
            group_id=group_id,
            person_id=person_id,
            as_of=as_of,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        items = [membership_out(m) for m in rows]
        if principal.pseudonymous_only:
            return MembershipPage(
                items=[m for m in items if isinstance(m, MembershipOut)],
                total=total,
                page=page,
                page_size=PAGE_SIZE,
            )
        return MembershipFullPage(
            items=[m for m in items if isinstance(m, MembershipFullOut)],
            total=total,
            page=page,
            page_size=PAGE_SIZE,
        )

    @post("/", opt=MEMBERS, name="api.memberships.create")
    async def create_membership(
        self, principal: NamedDependency[Principal], data: JSONBody[MembershipIn]
    ) -> MembershipOut | MembershipFullOut:
        draft = services.MembershipDraft(
            person_code=data.person_code,
            group_id=data.group_id,
            role=data.role,
            confidence=data.confidence,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            review_by=data.review_by,
            source=data.source,
        )
        try:
            return membership_out(await services.create_membership(principal, draft))
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc

    @get("/{membership_id:int}", opt=READ, name="api.memberships.show")
    async def show_membership(
        self, principal: NamedDependency[Principal], membership_id: FromPath[int]
    ) -> MembershipOut | MembershipFullOut:
        return membership_out(await services.get_membership(principal, membership_id))

    @post("/{membership_id:int}", opt=MEMBERS, name="api.memberships.update", status_code=200)
    async def update_membership(
        self,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: JSONBody[MembershipUpdateIn],
    ) -> MembershipOut | MembershipFullOut:
        changes = services.MembershipChanges(
            role=data.role,
            confidence=data.confidence,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            review_by=data.review_by,
            source=data.source,
        )
        try:
            await services.update_membership(principal, membership_id, data.version, changes)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        return membership_out(await services.get_membership(principal, membership_id))

    @post(
        "/{membership_id:int}/archive",
        opt=MEMBERS,
        name="api.memberships.archive",
        status_code=200,
    )
    async def archive_membership(
        self,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: JSONBody[VersionIn],
    ) -> VersionIn:
        try:
            await services.archive_membership(principal, membership_id, data.version)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        return VersionIn(version=data.version + 1)

    @post(
        "/{membership_id:int}/confirm",
        opt=MEMBERS,
        name="api.memberships.confirm",
        status_code=200,
    )
    async def confirm_membership(
        self,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: JSONBody[ConfirmIn],
    ) -> MembershipOut | MembershipFullOut:
        try:
            await services.confirm_membership(
                principal, membership_id, data.version, data.review_by
            )
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        return membership_out(await services.get_membership(principal, membership_id))

    @post("/{membership_id:int}/end", opt=MEMBERS, name="api.memberships.end", status_code=200)
    async def end_membership(
        self,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: JSONBody[EndIn],
    ) -> MembershipOut | MembershipFullOut:
        try:
            await services.end_membership(principal, membership_id, data.version, data.valid_to)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        return membership_out(await services.get_membership(principal, membership_id))


class RelationsApi(Controller):
    path = "/api/v1/relations"
    tags = ["relations"]

    @get("/", opt=READ, name="api.relations.list")
    async def list_relations(
        self,
        principal: NamedDependency[Principal],
        group_id: FromQuery[int | None] = None,
        as_of: FromQuery[date | None] = None,
        page: PageNumber = 1,
    ) -> RelationPage | RelationFullPage:
        page = max(page, 1)
        rows, total = await services.list_relations(
            principal,
            group_id=group_id,
            as_of=as_of,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        items = [relation_out(r) for r in rows]
        if principal.pseudonymous_only:
            return RelationPage(
                items=[r for r in items if isinstance(r, RelationOut)],
                total=total,
                page=page,
                page_size=PAGE_SIZE,
            )
        return RelationFullPage(
            items=[r for r in items if isinstance(r, RelationFullOut)],
            total=total,
            page=page,
            page_size=PAGE_SIZE,
        )

    @post("/", opt=RELATIONS, name="api.relations.create")
    async def create_relation(
        self, principal: NamedDependency[Principal], data: JSONBody[RelationIn]
    ) -> RelationOut | RelationFullOut:
        draft = services.RelationDraft(
            group_a_id=data.group_a_id,
            group_b_id=data.group_b_id,
            kind=data.kind,
            intensity=data.intensity,
            confidence=data.confidence,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            review_by=data.review_by,
            source=data.source,
        )
        try:
            return relation_out(await services.create_relation(principal, draft))
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc

    @get("/{relation_id:int}", opt=READ, name="api.relations.show")
    async def show_relation(
        self, principal: NamedDependency[Principal], relation_id: FromPath[int]
    ) -> RelationOut | RelationFullOut:
        return relation_out(await services.get_relation(principal, relation_id))

    @post("/{relation_id:int}", opt=RELATIONS, name="api.relations.update", status_code=200)
    async def update_relation(
        self,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: JSONBody[RelationUpdateIn],
    ) -> RelationOut | RelationFullOut:
        changes = services.RelationChanges(
            kind=data.kind,
            intensity=data.intensity,
            confidence=data.confidence,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            review_by=data.review_by,
            source=data.source,
        )
        try:
            await services.update_relation(principal, relation_id, data.version, changes)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        return relation_out(await services.get_relation(principal, relation_id))

    @post(
        "/{relation_id:int}/archive",
        opt=RELATIONS,
        name="api.relations.archive",
        status_code=200,
    )
    async def archive_relation(
        self,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: JSONBody[VersionIn],
    ) -> VersionIn:
        try:
            await services.archive_relation(principal, relation_id, data.version)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        return VersionIn(version=data.version + 1)

    @post(
        "/{relation_id:int}/confirm",
        opt=RELATIONS,
        name="api.relations.confirm",
        status_code=200,
    )
    async def confirm_relation(
        self,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: JSONBody[ConfirmIn],
    ) -> RelationOut | RelationFullOut:
        try:
            await services.confirm_relation(principal, relation_id, data.version, data.review_by)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        return relation_out(await services.get_relation(principal, relation_id))

    @post("/{relation_id:int}/end", opt=RELATIONS, name="api.relations.end", status_code=200)
    async def end_relation(
        self,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: JSONBody[EndIn],
    ) -> RelationOut | RelationFullOut:
        try:
            await services.end_relation(principal, relation_id, data.version, data.valid_to)
        except services.VersionConflict as exc:
            raise _conflict(exc) from exc
        except services.FormErrors as exc:
            raise _bad_request(exc) from exc
        return relation_out(await services.get_relation(principal, relation_id))


class ReviewApi(Controller):
    path = "/api/v1/review"
    tags = ["review"]

    @get("/", opt=READ, name="api.review.list")
    async def review_queue(
        self,
        principal: NamedDependency[Principal],
        page: PageNumber = 1,
        group: FromQuery[str] = "",
    ) -> ReviewOut:
        """Memberships and relations past their review date, oldest first (both lists
        paged alike); ``group`` keeps those of groups whose name contains it. For
        police and coordinators."""
        offset = (max(page, 1) - 1) * PAGE_SIZE
        queue = await services.review_queue(
            principal,
            limit=PAGE_SIZE,
            membership_offset=offset,
            relation_offset=offset,
            group=group[:120],
        )
        return ReviewOut(
            memberships=[
                m
                for m in map(membership_out, queue.memberships)
                if isinstance(m, MembershipFullOut)
            ],
            memberships_total=queue.memberships_total,
            relations=[
                r for r in map(relation_out, queue.relations) if isinstance(r, RelationFullOut)
            ],
            relations_total=queue.relations_total,
        )


# --- pages: shared helpers -----------------------------------------------------------


def _page(
    request: AnyRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    ctx: dict[str, Any] = {
        "status_labels": translated(forms.STATUS_LABELS),
        "role_labels": translated(forms.ROLE_LABELS),
        "confidence_labels": translated(forms.CONFIDENCE_LABELS),
        "kind_labels": translated(forms.KIND_LABELS),
        "directed_kinds": forms.DIRECTED_KINDS,
        "confirm_value": forms.CONFIRM_VALUE,
        "today": services.today(),
    }
    ctx.update(context or {})
    return page(request, template, ctx, status_code=status_code)


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _read_date(value: str, key: str, errors: dict[str, str]) -> date | None:
    try:
        return forms.parse_date(value)
    except ValueError:
        errors[key] = forms.form_message("date")
        return None


def _read_id(value: str, key: str, message: str, errors: dict[str, str]) -> int | None:
    try:
        return forms.parse_id(value)
    except ValueError:
        errors[key] = message
        return None


def _read_intensity(value: str, errors: dict[str, str]) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        errors["intensity"] = forms.form_message("intensity")
        return None


def _group_form_values(group: services.GroupView) -> GroupForm:
    return GroupForm(
        version=str(group.version),
        name=group.name,
        municipality=str(group.municipality_id),
        area=group.area,
        status=group.status,
        notes=group.notes if isinstance(group, services.GroupFull) else "",
    )


def _back_to(back: str, person_id: int | None, group_id: int | None) -> str:
    # A keyword, never a URL from the form: no open redirect.
    if back == "person" and person_id is not None:
        return f"/people/{person_id}"
    if group_id is not None:
        return f"/groups/{group_id}"
    return "/groups"


# --- group pages ---------------------------------------------------------------------


async def _new_group_page(
    request: AnyRequest,
    principal: Principal,
    form: GroupForm,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return _page(
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
    return _page(
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
    return _read_id(form.municipality, "municipality", gettext("Välj en kommun i listan."), errors)


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
        page: PageNumber = 1,
    ) -> Template:
        page_no = max(page, 1)
        try:
            municipality_id = forms.parse_id(municipality)
        except ValueError:
            municipality_id = None
        rows, total = await services.list_groups(
            principal,
            search=q,
            municipality_id=municipality_id,
            status=status,
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
        return _page(
            request,
            "groups/list.html",
            {
                "groups": rows,
                "total": total,
                "q": q,
                "municipality": municipality_id,
                "status": status if status in forms.STATUS_LABELS else "",
                "municipalities": await services.municipality_choices(principal),
                "page": page_no,
                "pages": _pages(total),
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
        try:
            group_id = await services.create_group(principal, draft, known_errors=errors)
        except services.FormErrors as exc:
            return await _new_group_page(
                request, principal, data, errors=exc.errors, status_code=400
            )
        return redirect_with_flash(request, f"/groups/{group_id}", gettext("Gruppen är upplagd."))

    @get("/import", opt=READ, name="groups.import_form")
    async def import_form(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        if not services.can_import(principal):
            raise NotFoundException()
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
            raise NotFoundException()
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
        return _page(
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
        try:
            await services.update_group(
                principal,
                group_id,
                forms.parse_version(data.version),
                changes,
                known_errors=errors,
            )
        except services.VersionConflict as exc:
            # What was typed stays on the page, with the version it was based on, so a
            # second save conflicts again instead of overwriting the other change.
            return await _edit_group_page(
                request, principal, group_id, form=data, error=str(exc), status_code=409
            )
        except services.FormErrors as exc:
            return await _edit_group_page(
                request, principal, group_id, form=data, errors=exc.errors, status_code=400
            )
        return redirect_with_flash(
            request, f"/groups/{group_id}", gettext("Ändringarna är sparade.")
        )

    @post("/{group_id:int}/archive", opt=WRITE, name="groups.archive")
    async def archive_group(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromPath[int],
        data: URLEncodedBody[ArchiveForm],
    ) -> Template | Redirect:
        if not data.confirmed:
            return await _edit_group_page(
                request,
                principal,
                group_id,
                errors={"archive.confirm": forms.form_message("confirm")},
                status_code=400,
            )
        try:
            await services.archive_group(principal, group_id, forms.parse_version(data.version))
        except services.VersionConflict as exc:
            return await _edit_group_page(
                request, principal, group_id, error=str(exc), status_code=409
            )
        return redirect_with_flash(
            request,
            "/groups",
            gettext(
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
        try:
            await services.add_alias(principal, group_id, data.alias)
        except services.FormErrors as exc:
            return await _edit_group_page(
                request,
                principal,
                group_id,
                errors=exc.errors,
                alias=data.alias,
                status_code=400,
            )
        return redirect_with_flash(
            request, f"/groups/{group_id}/edit#aliases", gettext("Aliaset är tillagt.")
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
    return _page(
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


# --- membership pages ----------------------------------------------------------------


async def _membership_page(
    request: AnyRequest,
    principal: Principal,
    form: MembershipForm,
    *,
    membership: services.MembershipView | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    return _page(
        request,
        "memberships/form.html",
        {
            "form": form,
            "membership": membership,
            "errors": errors or {},
            "error": error,
            "groups": [] if membership else await services.group_choices(principal),
        },
        status_code=status_code,
    )


def _membership_form(m: services.MembershipView, back: str) -> MembershipForm:
    return MembershipForm(
        version=str(m.version),
        person_code=m.person_code,
        group=str(m.group_id),
        role=m.role,
        confidence=m.confidence,
        valid_from=m.valid_from.isoformat() if m.valid_from else "",
        valid_to=m.valid_to.isoformat() if m.valid_to else "",
        review_by=m.review_by.isoformat() if m.review_by else "",
        source=m.source if isinstance(m, services.MembershipFull) else "",
        back=back,
    )


class MembershipPages(Controller):
    path = "/memberships"
    include_in_schema = False

    @get("/new", opt=MEMBERS, name="memberships.new")
    async def new_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        person_id: FromQuery[int | None] = None,
        group_id: FromQuery[int | None] = None,
    ) -> Template:
        form = MembershipForm(back="person" if person_id else "group")
        if person_id is not None:
            person = await people.get_person(principal, person_id)
            form.person_code = person.code
        if group_id is not None:
            form.group = str(group_id)
        return await _membership_page(request, principal, form)

    @post("/new", opt=MEMBERS, name="memberships.create")
    async def create_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[MembershipForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        draft = services.MembershipDraft(
            person_code=data.person_code,
            group_id=_read_id(data.group, "group", gettext("Välj en grupp i listan."), errors),
            role=data.role,
            confidence=data.confidence,
            valid_from=_read_date(data.valid_from, "valid_from", errors),
            valid_to=_read_date(data.valid_to, "valid_to", errors),
            review_by=_read_date(data.review_by, "review_by", errors),
            source=data.source,
        )
        try:
            created = await services.create_membership(principal, draft, known_errors=errors)
        except services.FormErrors as exc:
            # Something that is not a code may be a name or a personnummer: not shown again.
            if forms.clean_code(data.person_code) is None:
                data.person_code = ""
            return await _membership_page(
                request, principal, data, errors=exc.errors, status_code=400
            )
        return redirect_with_flash(
            request,
            _back_to(data.back, created.person_id, created.group_id),
            gettext("Medlemskapet för %(person_code)s i %(group_name)s är registrerat.")
            % {"person_code": created.person_code, "group_name": created.group_name},
        )

    @get("/{membership_id:int}/edit", opt=MEMBERS, name="memberships.edit_form")
    async def edit_form(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        back: FromQuery[str] = "group",
    ) -> Template:
        membership = await services.get_membership(principal, membership_id)
        if not membership.writable:
            raise NotFoundException()
        return await _membership_page(
            request, principal, _membership_form(membership, back), membership=membership
        )

    @post("/{membership_id:int}/edit", opt=MEMBERS, name="memberships.edit")
    async def edit_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: URLEncodedBody[MembershipForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        changes = services.MembershipChanges(
            role=data.role,
            confidence=data.confidence,
            valid_from=_read_date(data.valid_from, "valid_from", errors),
            valid_to=_read_date(data.valid_to, "valid_to", errors),
            review_by=_read_date(data.review_by, "review_by", errors),
            source=data.source,
        )
        try:
            await services.update_membership(
                principal,
                membership_id,
                forms.parse_version(data.version),
                changes,
                known_errors=errors,
            )
        except (services.VersionConflict, services.FormErrors) as exc:
            membership = await services.get_membership(principal, membership_id)
            data.person_code, data.group = membership.person_code, str(membership.group_id)
            conflict = isinstance(exc, services.VersionConflict)
            return await _membership_page(
                request,
                principal,
                data,
                membership=membership,
                errors=exc.errors if isinstance(exc, services.FormErrors) else {},
                error=str(exc) if conflict else None,
                status_code=409 if conflict else 400,
            )
        membership = await services.get_membership(principal, membership_id)
        return redirect_with_flash(
            request,
            _back_to(data.back, membership.person_id, membership.group_id),
            gettext("Medlemskapet är ändrat."),
        )

    @post("/{membership_id:int}/archive", opt=MEMBERS, name="memberships.archive")
    async def archive_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: URLEncodedBody[ArchiveForm],
    ) -> Template | Redirect:
        membership = await services.get_membership(principal, membership_id)
        if not membership.writable:
            raise NotFoundException()
        form = _membership_form(membership, data.back)
        if not data.confirmed:
            return await _membership_page(
                request,
                principal,
                form,
                membership=membership,
                errors={"archive.confirm": forms.form_message("confirm")},
                status_code=400,
            )
        try:
            await services.archive_membership(
                principal, membership_id, forms.parse_version(data.version)
            )
        except services.VersionConflict as exc:
            return await _membership_page(
                request, principal, form, membership=membership, error=str(exc), status_code=409
            )
        return redirect_with_flash(
            request,
            _back_to(data.back, membership.person_id, membership.group_id),
            gettext("Medlemskapet är arkiverat."),
        )


# --- relation pages ------------------------------------------------------------------


async def _relation_page(
    request: AnyRequest,
    principal: Principal,
    form: RelationForm,
    *,
    relation: services.RelationView | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    return _page(
        request,
        "relations/form.html",
        {
            "form": form,
            "relation": relation,
            "errors": errors or {},
            "error": error,
            "groups": [] if relation else await services.group_choices(principal),
        },
        status_code=status_code,
    )


def _relation_form(r: services.RelationView) -> RelationForm:
    return RelationForm(
        version=str(r.version),
        group_a=str(r.group_a_id),
        group_b=str(r.group_b_id),
        kind=r.kind,
        intensity=str(r.intensity),
        confidence=r.confidence,
        valid_from=r.valid_from.isoformat() if r.valid_from else "",
        valid_to=r.valid_to.isoformat() if r.valid_to else "",
        review_by=r.review_by.isoformat() if r.review_by else "",
        source=r.source if isinstance(r, services.RelationFull) else "",
    )


async def _writable_relation(principal: Principal, relation_id: int) -> services.RelationView:
    relation = await services.get_relation(principal, relation_id)
    if not relation.writable:
        raise NotFoundException()
    return relation


class RelationPages(Controller):
    path = "/relations"
    include_in_schema = False

    @get("/new", opt=RELATIONS, name="relations.new")
    async def new_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromQuery[int | None] = None,
    ) -> Template:
        form = RelationForm(group_a=str(group_id) if group_id else "")
        return await _relation_page(request, principal, form)

    @post("/new", opt=RELATIONS, name="relations.create")
    async def create_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[RelationForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        draft = services.RelationDraft(
            group_a_id=_read_id(
                data.group_a, "group_a", gettext("Välj den första gruppen."), errors
            ),
            group_b_id=_read_id(
                data.group_b, "group_b", gettext("Välj den andra gruppen."), errors
            ),
            kind=data.kind,
            intensity=_read_intensity(data.intensity, errors),
            confidence=data.confidence,
            valid_from=_read_date(data.valid_from, "valid_from", errors),
            valid_to=_read_date(data.valid_to, "valid_to", errors),
            review_by=_read_date(data.review_by, "review_by", errors),
            source=data.source,
        )
        try:
            created = await services.create_relation(principal, draft, known_errors=errors)
        except services.FormErrors as exc:
            return await _relation_page(
                request, principal, data, errors=exc.errors, status_code=400
            )
        return redirect_with_flash(
            request,
            f"/groups/{created.group_a_id}",
            gettext("Relationen mellan %(group_a)s och %(group_b)s är registrerad.")
            % {"group_a": created.group_a, "group_b": created.group_b},
        )

    @get("/{relation_id:int}/edit", opt=RELATIONS, name="relations.edit_form")
    async def edit_form(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
    ) -> Template:
        relation = await _writable_relation(principal, relation_id)
        return await _relation_page(request, principal, _relation_form(relation), relation=relation)

    @post("/{relation_id:int}/edit", opt=RELATIONS, name="relations.edit")
    async def edit_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: URLEncodedBody[RelationForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        changes = services.RelationChanges(
            kind=data.kind,
            intensity=_read_intensity(data.intensity, errors),
            confidence=data.confidence,
            valid_from=_read_date(data.valid_from, "valid_from", errors),
            valid_to=_read_date(data.valid_to, "valid_to", errors),
            review_by=_read_date(data.review_by, "review_by", errors),
            source=data.source,
        )
        try:
            await services.update_relation(
                principal,
                relation_id,
                forms.parse_version(data.version),
                changes,
                known_errors=errors,
            )
        except (services.VersionConflict, services.FormErrors) as exc:
            relation = await _writable_relation(principal, relation_id)
            data.group_a, data.group_b = str(relation.group_a_id), str(relation.group_b_id)
            conflict = isinstance(exc, services.VersionConflict)
            return await _relation_page(
                request,
                principal,
                data,
                relation=relation,
                errors=exc.errors if isinstance(exc, services.FormErrors) else {},
                error=str(exc) if conflict else None,
                status_code=409 if conflict else 400,
            )
        relation = await services.get_relation(principal, relation_id)
        return redirect_with_flash(
            request, f"/groups/{relation.group_a_id}", gettext("Relationen är ändrad.")
        )

    @post("/{relation_id:int}/archive", opt=RELATIONS, name="relations.archive")
    async def archive_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: URLEncodedBody[ArchiveForm],
    ) -> Template | Redirect:
        relation = await _writable_relation(principal, relation_id)
        form = _relation_form(relation)
        if not data.confirmed:
            return await _relation_page(
                request,
                principal,
                form,
                relation=relation,
                errors={"archive.confirm": forms.form_message("confirm")},
                status_code=400,
            )
        try:
            group_id = await services.archive_relation(
                principal, relation_id, forms.parse_version(data.version)
            )
        except services.VersionConflict as exc:
            return await _relation_page(
                request, principal, form, relation=relation, error=str(exc), status_code=409
            )
        return redirect_with_flash(
            request, f"/groups/{group_id}", gettext("Relationen är arkiverad.")
        )


# --- the review queue ----------------------------------------------------------------


async def _review_page(
    request: AnyRequest,
    principal: Principal,
    *,
    mpage: int = 1,
    rpage: int = 1,
    group: str = "",
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    mpage, rpage, group = max(mpage, 1), max(rpage, 1), group.strip()[:120]
    queue = await services.review_queue(
        principal,
        limit=PAGE_SIZE,
        membership_offset=(mpage - 1) * PAGE_SIZE,
        relation_offset=(rpage - 1) * PAGE_SIZE,
        group=group,
    )
    return _page(
        request,
        "review/list.html",
        {
            "queue": queue,
            "mpage": mpage,
            "rpage": rpage,
            "group": group,
            "mpages": _pages(queue.memberships_total),
            "rpages": _pages(queue.relations_total),
            "errors": errors or {},
            "typed": typed or {},
            "error": error,
        },
        status_code=status_code,
    )


async def _review_action(
    request: AnyRequest,
    principal: Principal,
    key: str,
    data: ReviewForm,
    action: Callable[[int, date | None], Awaitable[None]],
    done: str,
) -> Template | Redirect:
    """Confirm or end one claim from the queue; problems show at the row they belong to."""
    errors: dict[str, str] = {}
    field = "review_by" if key.endswith("confirm") else "valid_to"
    typed = {key: getattr(data, field)}
    value = _read_date(getattr(data, field), f"{key}.{field}", errors)
    if errors:
        return await _review_page(request, principal, errors=errors, typed=typed, status_code=400)
    try:
        await action(forms.parse_version(data.version), value)
    except services.VersionConflict as exc:
        return await _review_page(request, principal, error=str(exc), status_code=409)
    except services.FormErrors as exc:
        return await _review_page(
            request,
            principal,
            errors={f"{key}.{k}": v for k, v in exc.errors.items()},
            typed=typed,
            status_code=400,
        )
    return redirect_with_flash(request, "/review", done)


class ReviewPages(Controller):
    path = "/review"
    include_in_schema = False

    @get("/", opt=READ, name="review.list")
    async def review_queue(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        mpage: PageNumber = 1,
        rpage: PageNumber = 1,
        group: FromQuery[str] = "",
    ) -> Template:
        return await _review_page(request, principal, mpage=mpage, rpage=rpage, group=group)

    @post(
        "/memberships/{membership_id:int}/confirm", opt=MEMBERS, name="review.memberships.confirm"
    )
    async def confirm_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: URLEncodedBody[ReviewForm],
    ) -> Template | Redirect:
        async def run(version: int, review_by: date | None) -> None:
            await services.confirm_membership(principal, membership_id, version, review_by)

        return await _review_action(
            request,
            principal,
            f"m{membership_id}-confirm",
            data,
            run,
            gettext("Medlemskapet är bekräftat och får ett nytt granskningsdatum."),
        )

    @post("/memberships/{membership_id:int}/end", opt=MEMBERS, name="review.memberships.end")
    async def end_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: URLEncodedBody[ReviewForm],
    ) -> Template | Redirect:
        async def run(version: int, valid_to: date | None) -> None:
            await services.end_membership(principal, membership_id, version, valid_to)

        return await _review_action(
            request,
            principal,
            f"m{membership_id}-end",
            data,
            run,
            gettext("Medlemskapet är avslutat."),
        )

    @post("/relations/{relation_id:int}/confirm", opt=RELATIONS, name="review.relations.confirm")
    async def confirm_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: URLEncodedBody[ReviewForm],
    ) -> Template | Redirect:
        async def run(version: int, review_by: date | None) -> None:
            await services.confirm_relation(principal, relation_id, version, review_by)

        return await _review_action(
            request,
            principal,
            f"r{relation_id}-confirm",
            data,
            run,
            gettext("Relationen är bekräftad och får ett nytt granskningsdatum."),
        )

    @post("/relations/{relation_id:int}/end", opt=RELATIONS, name="review.relations.end")
    async def end_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: URLEncodedBody[ReviewForm],
    ) -> Template | Redirect:
        async def run(version: int, valid_to: date | None) -> None:
            await services.end_relation(principal, relation_id, version, valid_to)

        return await _review_action(
            request,
            principal,
            f"r{relation_id}-end",
            data,
            run,
            gettext("Relationen är avslutad."),
        )


GROUP_ROUTES = [
    GroupsApi,
    MembershipsApi,
    RelationsApi,
    ReviewApi,
    GroupPages,
    MembershipPages,
    RelationPages,
    ReviewPages,
]
