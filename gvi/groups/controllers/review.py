"""The review queue: the JSON API under /api/v1/review and the page under /review,
where claims past their review date are confirmed or ended."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.principal import Principal
from gvi.core.failures import FormErrors, VersionConflict
from gvi.core.forms import read_date, read_version
from gvi.core.paging import PAGE_SIZE, page_offset, pages_count
from gvi.core.params import PageNumber
from gvi.core.web import redirect_with_flash
from gvi.groups import services
from gvi.groups.controllers.shapes import membership_out, relation_out
from gvi.groups.controllers.shared import MEMBERS, READ, RELATIONS, AnyRequest, group_page
from gvi.groups.forms import ReviewForm
from gvi.groups.schemas import MembershipFullOut, RelationFullOut, ReviewOut
from gvi.i18n import gettext


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
        offset = page_offset(max(page, 1))
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
        membership_offset=page_offset(mpage),
        relation_offset=page_offset(rpage),
        group=group,
    )
    return group_page(
        request,
        "review/list.html",
        {
            "queue": queue,
            "mpage": mpage,
            "rpage": rpage,
            "group": group,
            "mpages": pages_count(queue.memberships_total),
            "rpages": pages_count(queue.relations_total),
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
    value = read_date(getattr(data, field), f"{key}.{field}", errors, required=False)
    if errors:
        return await _review_page(request, principal, errors=errors, typed=typed, status_code=400)
    try:
        await action(read_version(data.version), value)
    except VersionConflict as exc:
        return await _review_page(request, principal, error=str(exc), status_code=409)
    except FormErrors as exc:
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
        return await _review_action(
            request,
            principal,
            f"m{membership_id}-confirm",
            data,
            partial(services.MEMBERSHIPS.confirm, principal, membership_id),
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
        return await _review_action(
            request,
            principal,
            f"m{membership_id}-end",
            data,
            partial(services.MEMBERSHIPS.end, principal, membership_id),
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
        return await _review_action(
            request,
            principal,
            f"r{relation_id}-confirm",
            data,
            partial(services.RELATIONS.confirm, principal, relation_id),
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
        return await _review_action(
            request,
            principal,
            f"r{relation_id}-end",
            data,
            partial(services.RELATIONS.end, principal, relation_id),
            gettext("Relationen är avslutad."),
        )
