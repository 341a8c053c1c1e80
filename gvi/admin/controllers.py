"""Admin: the user pages under /admin/users, the audit views under /admin/audit,
alerts under /admin/alerts, and the JSON API under /api/v1/admin.

The API lets the services' refusals propagate: :mod:`gvi.core.errors` answers
them (400 naming the fields, 409 for a conflict). The pages re-render the user
page with the message at its place.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission, can_lead
from gvi.access.principal import Principal
from gvi.accounts import signin
from gvi.accounts.throttle import LoginThrottle
from gvi.admin import alerts, services, trail
from gvi.admin.forms import (
    ALERT_LABELS,
    CONFIRM_MESSAGE,
    CONFIRM_VALUE,
    FILTER_ACTION,
    ROLE_LABELS,
    EditUserForm,
    NewUserForm,
    PersonTrailForm,
    UserActionForm,
    county_groups,
    ids,
    optional_id,
    ticked_ids,
    version_of,
)
from gvi.admin.schemas import (
    UnitLeadIn,
    UserCreatedOut,
    UserCreateIn,
    UserOut,
    UserPage,
    UserUnitsIn,
)
from gvi.core import rest
from gvi.core.batch import SelectionForm, read_selection, ticked
from gvi.core.failures import FormErrors, Refused
from gvi.core.forms import read_int
from gvi.core.paging import PAGE_SIZE, page_rows, pages_count
from gvi.core.params import AnyRequest, PageNumber, Signed
from gvi.core.shapes import VersionIn
from gvi.core.web import page, redirect_with_flash, refusal_status, translated
from gvi.i18n import N_, format_datetime, gettext, ngettext

USERS = {"permission": Permission.users_manage}
AUDIT = {"permission": Permission.audit_read}
ALERTS = {"permission": Permission.alerts_read}

UNIT_MESSAGE = N_("Välj en enhet i listan.")
MUNICIPALITIES_MESSAGE = N_("Välj kommuner i listan.")
JOINT_UNITS_MESSAGE = N_("Välj aktiva enheter i listan.")


def _throttle(request: AnyRequest) -> LoginThrottle:
    return signin.login_throttle(request)


def _page(
    request: AnyRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    shared: dict[str, Any] = {
        "when": format_datetime,
        "role_labels": translated(ROLE_LABELS),
        "alert_labels": translated(ALERT_LABELS),
        "confirm_value": CONFIRM_VALUE,
    }
    return page(request, template, shared | (context or {}), status_code=status_code)


def _user_out(user: services.UserSummary) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        unit_id=user.unit_id,
        unit=user.unit_name,
        municipality_ids=list(user.municipality_ids),
        municipalities=list(user.municipalities),
        is_active=user.is_active,
        locked=user.locked,
        last_login_at=user.last_login_at,
        version=user.version,
        joint_unit_ids=list(user.joint_unit_ids),
        joint_units=list(user.joint_units),
        unit_lead=user.unit_lead,
    )


async def _users(
    request: AnyRequest, principal: Principal, q: str, page_no: int, size: int = PAGE_SIZE
) -> tuple[list[services.UserSummary], int]:
    """One page of the user list, for the API and the page alike."""
    return await services.list_users(
        principal,
        throttle=_throttle(request),
        search=q,
        **page_rows(page_no, size),
    )


async def _shown(request: AnyRequest, principal: Principal, user_id: int) -> UserOut:
    detail = await services.get_user(principal, user_id, throttle=_throttle(request))
    return _user_out(detail.user)


# --- JSON API ----------------------------------------------------------------------


class AdminUsersApi(Controller):
    path = "/api/v1/admin/users"
    tags = ["admin"]

    @rest.listing("/", opt=USERS, name="api.admin.users.list")
    async def list_users(
        self,
        request: AnyRequest,
        principal: Signed,
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
    ) -> Response[UserPage]:
        rows, total = await _users(request, principal, q, window.page, window.size)
        return window.page_of(UserPage, [_user_out(u) for u in rows], total)

    @post("/", opt=USERS, name="api.admin.users.create")
    async def create_user(
        self, request: AnyRequest, principal: Signed, data: JSONBody[UserCreateIn]
    ) -> UserCreatedOut:
        draft = services.UserDraft(
            username=data.username,
            display_name=data.display_name,
            role=data.role.value,
            password=data.password,
            unit_id=data.unit_id,
            municipality_ids=tuple(data.municipality_ids),
            joint_unit_ids=tuple(data.joint_unit_ids),
        )
        new = await services.create_user(principal, draft)
        return UserCreatedOut(
            user=await _shown(request, principal, new.user.id),
            totp_secret=new.totp_secret,
            totp_uri=new.totp_uri,
            recovery_codes=new.recovery_codes,
        )

    @post("/{user_id:int}/disable", opt=USERS, name="api.admin.users.disable", status_code=200)
    async def disable_user(
        self,
        request: AnyRequest,
        principal: Signed,
        user_id: FromPath[int],
        data: JSONBody[VersionIn],
    ) -> UserOut:
        await services.disable_user(principal, user_id, data.version)
        return await _shown(request, principal, user_id)

    @post("/{user_id:int}/unit-lead", opt=USERS, name="api.admin.users.unit_lead", status_code=200)
    async def set_unit_lead(
        self,
        request: AnyRequest,
        principal: Signed,
        user_id: FromPath[int],
        data: JSONBody[UnitLeadIn],
    ) -> UserOut:
        """Make the user a unit lead (enhetschef: approves case plans and closings in
        their units) or end it; their sessions end."""
        await services.set_unit_lead(principal, user_id, data.version, data.unit_lead)
        return await _shown(request, principal, user_id)

    @post("/{user_id:int}/units", opt=USERS, name="api.admin.users.units", status_code=200)
    async def set_user_units(
        self,
        request: AnyRequest,
        principal: Signed,
        user_id: FromPath[int],
        data: JSONBody[UserUnitsIn],
    ) -> UserOut:
        """Move a user: home unit and joint units. Their scope follows, and their
        sessions end at once when it changes."""
        current = await services.get_user(principal, user_id, throttle=_throttle(request))
        await services.update_user(
            principal,
            user_id,
            data.version,
            display_name=current.user.display_name,
            unit_id=data.unit_id,
            municipality_ids=current.user.municipality_ids,
            joint_unit_ids=data.joint_unit_ids,
        )
        return await _shown(request, principal, user_id)


# --- user pages --------------------------------------------------------------------


async def _choices(principal: Principal) -> dict[str, Any]:
    return {
        "units": await services.unit_choices(principal),
        "municipalities": await services.municipality_choices(principal),
    }


async def _new_user_page(
    request: AnyRequest,
    principal: Principal,
    form: NewUserForm,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    try:
        ticked = set(ids(form.municipalities))
    except ValueError:
        ticked = set()
    try:
        joint = set(ids(form.joint_units))
    except ValueError:
        joint = set()
    choices = await services.municipality_choices(principal)
    return _page(
        request,
        "admin/users/new.html",
        {
            # Never the password: it is typed again after an error.
            "form": {
                "username": form.username,
                "display_name": form.display_name,
                "role": form.role,
                "unit": form.unit,
                "municipalities": ticked,
                "joint_units": joint,
                "municipality_filter": form.municipality_filter,
            },
            "errors": errors or {},
            "units": await services.unit_choices(principal),
            "municipality_groups": county_groups(choices, ticked, form.municipality_filter),
            "filter_action": FILTER_ACTION,
        },
        status_code=status_code,
    )


async def _user_page(
    request: AnyRequest,
    principal: Principal,
    user_id: int,
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    edit: EditUserForm | None = None,
    status_code: int = 200,
) -> Template:
    detail = await services.get_user(principal, user_id, throttle=_throttle(request))
    user = detail.user
    edit_form: dict[str, Any] = {
        "display_name": user.display_name,
        "unit": str(user.unit_id or ""),
        "municipalities": set(user.municipality_ids),
        "joint_units": set(user.joint_unit_ids),
        "municipality_filter": "",
    }
    if edit is not None:
        # What the admin typed stays after an error.
        edit_form = {
            "display_name": edit.display_name,
            "unit": edit.unit,
            "municipalities": ticked_ids(edit.municipalities),
            "joint_units": ticked_ids(edit.joint_units),
            "municipality_filter": edit.municipality_filter,
        }
    choices = await services.municipality_choices(principal)
    return _page(
        request,
        "admin/users/show.html",
        {
            "detail": detail,
            "user": user,
            "is_self": user.id == principal.user_id,
            "can_lead": can_lead(user.role),
            "error": error,
            "errors": errors or {},
            "edit": edit_form,
            "units": await services.unit_choices(principal),
            "municipality_groups": county_groups(
                choices, edit_form["municipalities"], edit_form["municipality_filter"]
            ),
            "filter_action": FILTER_ACTION,
        },
        status_code=status_code,
    )


async def _refused(
    request: AnyRequest,
    principal: Principal,
    user_id: int,
    exc: Refused,
    form: str,
    *,
    edit: EditUserForm | None = None,
) -> Template:
    """The user page again after a refusal: field problems at the fields of the
    form named *form* (what was typed in *edit* kept), anything else on top."""
    if isinstance(exc, FormErrors):
        errors = {f"{form}.{key}": message for key, message in exc.errors.items()}
        return await _user_page(
            request, principal, user_id, errors=errors, edit=edit, status_code=400
        )
    return await _user_page(
        request, principal, user_id, error=str(exc), status_code=refusal_status(exc)
    )


ActionRun = Callable[
    [Request[Any, Any, Any], Principal, int, UserActionForm, int], Awaitable[Template | None]
]


def _second_factor_page(
    request: AnyRequest, user_id: int, factor: services.SecondFactor, *, reason: str
) -> Template:
    # Shown here once, not stored: no redirect, nothing in the session.
    return _page(
        request,
        "admin/users/second_factor.html",
        {"user_id": user_id, "factor": factor, "reason": reason},
    )


def _plain(action: Callable[[Principal, int, int], Awaitable[None]]) -> ActionRun:
    """A service action on (principal, user id, version) with no page of its own."""

    async def run(
        request: AnyRequest, principal: Principal, user_id: int, data: UserActionForm, version: int
    ) -> None:
        await action(principal, user_id, version)

    return run


async def _unlock(
    request: AnyRequest, principal: Principal, user_id: int, data: UserActionForm, version: int
) -> None:
    await services.unlock_user(principal, user_id, version, throttle=_throttle(request))


async def _change_role(
    request: AnyRequest, principal: Principal, user_id: int, data: UserActionForm, version: int
) -> Template | None:
    factor = await services.change_role(principal, user_id, version, data.role)
    if factor is None:
        return None
    return _second_factor_page(request, user_id, factor, reason="role")


async def _reset_totp(
    request: AnyRequest, principal: Principal, user_id: int, data: UserActionForm, version: int
) -> Template:
    factor = await services.reset_second_factor(principal, user_id, version)
    return _second_factor_page(request, user_id, factor, reason="reset")


def _user_action(action: str, run: ActionRun, done: str, *, confirm: bool = False) -> Any:
    """The page handler of one action on a user (``POST /admin/users/{id}/<action>``,
    route ``admin.users.<action>``): confirmation, conflict and refusals become
    the user page again with the message at the action's form. Success redirects
    with *done*, unless the action has a page of its own to show (a new second
    factor)."""

    async def handler(
        self: Controller,
        request: AnyRequest,
        principal: Signed,
        user_id: FromPath[int],
        data: URLEncodedBody[UserActionForm],
    ) -> Template | Redirect:
        if confirm and not data.confirmed:
            errors = {f"{action}.confirm": gettext(CONFIRM_MESSAGE)}
            return await _user_page(request, principal, user_id, errors=errors, status_code=400)
        try:
            shown = await run(request, principal, user_id, data, version_of(data))
        except Refused as exc:
            return await _refused(request, principal, user_id, exc, action)
        if shown is not None:
            return shown
        return redirect_with_flash(
            request, f"/admin/users/{user_id}", gettext(done) if done else ""
        )

    handler.__name__ = handler.__qualname__ = action
    route: HTTPRouteHandler = post(
        f"/{{user_id:int}}/{action.replace('_', '-')}", opt=USERS, name=f"admin.users.{action}"
    )(handler)
    return route


class UserPages(Controller):
    path = "/admin/users"
    include_in_schema = False

    @get("/", opt=USERS, name="admin.users.list")
    async def list_users(
        self, request: AnyRequest, principal: Signed, q: FromQuery[str] = "", page: PageNumber = 1
    ) -> Template:
        page_no = max(page, 1)
        rows, total = await _users(request, principal, q, page_no)
        return _page(
            request,
            "admin/users/list.html",
            {"users": rows, "total": total, "q": q, "page": page_no, "pages": pages_count(total)},
        )

    @get("/new", opt=USERS, name="admin.users.new")
    async def new_user(self, request: AnyRequest, principal: Signed) -> Template:
        return await _new_user_page(request, principal, NewUserForm())

    @post("/new", opt=USERS, name="admin.users.create", status_code=200)
    async def create_user(
        self, request: AnyRequest, principal: Signed, data: URLEncodedBody[NewUserForm]
    ) -> Template:
        errors: dict[str, str] = {}
        unit_id: int | None = None
        municipality_ids: tuple[int, ...] = ()
        try:
            unit_id = optional_id(data.unit)
        except ValueError:
            errors["unit"] = gettext("Välj en enhet i listan.")
        try:
            municipality_ids = ids(data.municipalities)
        except ValueError:
            errors["municipalities"] = gettext("Välj kommuner i listan.")
        joint_unit_ids: tuple[int, ...] = ()
        try:
            joint_unit_ids = ids(data.joint_units)
        except ValueError:
            errors["joint_units"] = gettext("Välj aktiva enheter i listan.")
        if data.action == FILTER_ACTION:
            # The municipality search: the same form again, nothing created.
            return await _new_user_page(request, principal, data)
        draft = services.UserDraft(
            username=data.username,
            display_name=data.display_name,
            role=data.role,
            password=data.password,
            unit_id=unit_id,
            municipality_ids=municipality_ids,
            joint_unit_ids=joint_unit_ids,
        )
        try:
            new = await services.create_user(principal, draft, known_errors=errors)
        except FormErrors as exc:
            return await _new_user_page(
                request, principal, data, errors=exc.errors, status_code=400
            )
        # Shown here once, not stored: no redirect, nothing in the session.
        return _page(
            request,
            "admin/users/created.html",
            {
                "user": new.user,
                "factor": (
                    services.SecondFactor(
                        username=new.user.username,
                        secret=new.totp_secret,
                        uri=new.totp_uri or "",
                        recovery_codes=new.recovery_codes,
                    )
                    if new.totp_secret
                    else None
                ),
            },
        )

    @get("/{user_id:int}", opt=USERS, name="admin.users.show")
    async def show_user(
        self, request: AnyRequest, principal: Signed, user_id: FromPath[int]
    ) -> Template:
        return await _user_page(request, principal, user_id)

    @post("/{user_id:int}/edit", opt=USERS, name="admin.users.edit")
    async def edit_user(
        self,
        request: AnyRequest,
        principal: Signed,
        user_id: FromPath[int],
        data: URLEncodedBody[EditUserForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        unit_id: int | None = None
        municipality_ids: tuple[int, ...] = ()
        try:
            unit_id = optional_id(data.unit)
        except ValueError:
            errors["edit.unit"] = gettext("Välj en enhet i listan.")
        try:
            municipality_ids = ids(data.municipalities)
        except ValueError:
            errors["edit.municipalities"] = gettext("Välj kommuner i listan.")
        joint_unit_ids: tuple[int, ...] | None = None
        try:
            joint_unit_ids = ids(data.joint_units) if data.joint_units_shown else None
        except ValueError:
            errors["edit.joint_units"] = gettext("Välj aktiva enheter i listan.")
        if data.action == FILTER_ACTION:
            # The municipality search: the same form again, nothing saved.
            return await _user_page(request, principal, user_id, edit=data)
        if errors:
            return await _user_page(
                request, principal, user_id, errors=errors, edit=data, status_code=400
            )
        try:
            scope_changed = await services.update_user(
                principal,
                user_id,
                version_of(data),
                display_name=data.display_name,
                unit_id=unit_id,
                municipality_ids=municipality_ids,
                joint_unit_ids=joint_unit_ids,
            )
        except Refused as exc:
            return await _refused(request, principal, user_id, exc, "edit", edit=data)
        message = gettext("Uppgifterna är sparade.")
        if scope_changed:
            message += gettext(" Behörigheten ändrades, så användarens inloggningar avslutades.")
        return redirect_with_flash(request, f"/admin/users/{user_id}", message)

    disable_user = _user_action(
        "disable",
        _plain(services.disable_user),
        N_("Kontot är avstängt och användarens inloggningar är avslutade."),
        confirm=True,
    )
    enable_user = _user_action(
        "enable", _plain(services.enable_user), N_("Kontot är aktiverat igen.")
    )
    unlock_user = _user_action(
        "unlock", _unlock, N_("Spärren är hävd. Användaren kan logga in igen.")
    )
    end_sessions = _user_action(
        "end_sessions",
        _plain(services.end_sessions),
        N_("Alla användarens inloggningar är avslutade."),
        confirm=True,
    )
    change_role = _user_action(
        "role",
        _change_role,
        N_("Rollen är ändrad och användarens inloggningar är avslutade."),
        confirm=True,
    )
    reset_totp = _user_action("reset_totp", _reset_totp, "", confirm=True)
    make_lead = _user_action(
        "make_lead",
        _plain(services.make_unit_lead),
        N_("Användaren är nu enhetschef och användarens inloggningar är avslutade."),
    )
    end_lead = _user_action(
        "end_lead",
        _plain(services.end_unit_lead),
        N_("Användaren är inte längre enhetschef och användarens inloggningar är avslutade."),
    )


# --- audit views -------------------------------------------------------------------

AUDIT_VIEWS = ("person", "user", "unusual")


def _whole(value: str, key: str, errors: dict[str, str], default: int) -> int | None:
    """A whole number (*default* when empty); the service says which range is allowed."""
    message = gettext("Ange ett heltal.")
    return read_int(
        value, key, errors, low=-sys.maxsize, high=sys.maxsize, message=message, default=default
    )


class AuditPages(Controller):
    path = "/admin/audit"
    include_in_schema = False

    @get("/", opt=AUDIT, name="admin.audit")
    async def show_audit(
        self,
        request: AnyRequest,
        principal: Signed,
        view: FromQuery[str] = "person",
        username: FromQuery[str] = "",
        threshold: FromQuery[str] = "",
        days: FromQuery[str] = "",
    ) -> Template:
        view = view if view in AUDIT_VIEWS else "person"
        ctx: dict[str, Any] = {
            "view": view,
            "username": username,
            "threshold": threshold or str(trail.UNUSUAL_DEFAULT_THRESHOLD),
            "days": days or str(trail.UNUSUAL_DEFAULT_DAYS),
            "errors": {},
        }
        status = 200
        if view == "user" and username.strip():
            try:
                ctx["rows"] = await trail.user_reads(principal, username)
                ctx["searched"] = True
            except FormErrors as exc:
                ctx["errors"], status = exc.errors, 400
        elif view == "unusual":
            errors: dict[str, str] = {}
            limit = _whole(threshold, "threshold", errors, trail.UNUSUAL_DEFAULT_THRESHOLD)
            span = _whole(days, "days", errors, trail.UNUSUAL_DEFAULT_DAYS)
            try:
                if errors or limit is None or span is None:
                    raise FormErrors(errors)
                ctx["unusual"] = await trail.unusual(principal, threshold=limit, days=span)
            except FormErrors as exc:
                ctx["errors"], status = exc.errors, 400
        return _page(request, "admin/audit/index.html", ctx, status_code=status)

    # A POST, so what was typed never lands in a URL, a browser history or an
    # access log (someone may type a name or a personnummer by mistake).
    @post("/person", opt=AUDIT, name="admin.audit.person", status_code=200)
    async def person_trail(
        self, request: AnyRequest, principal: Signed, data: URLEncodedBody[PersonTrailForm]
    ) -> Template:
        ctx: dict[str, Any] = {
            "view": "person",
            "username": "",
            "threshold": str(trail.UNUSUAL_DEFAULT_THRESHOLD),
            "days": str(trail.UNUSUAL_DEFAULT_DAYS),
            "errors": {},
            "code": data.code,
        }
        status = 200
        try:
            ctx["code"] = trail.clean_person_code(data.code)
            ctx["rows"] = await trail.person_trail(principal, data.code)
            ctx["searched"] = True
        except FormErrors as exc:
            # Do not echo what was typed: it may be a name or a personnummer.
            ctx["errors"], ctx["code"], status = exc.errors, "", 400
        return _page(request, "admin/audit/index.html", ctx, status_code=status)

    @post("/verify", opt=AUDIT, name="admin.audit.verify")
    async def verify_chain(self, request: AnyRequest, principal: Signed) -> Redirect:
        result = await trail.verify_chain(principal)
        if result.ok:
            return redirect_with_flash(
                request,
                "/admin/audit",
                gettext("Kedjan är hel: %(checked)s händelser kontrollerade.")
                % {"checked": result.checked},
            )
        return redirect_with_flash(
            request,
            "/admin/audit",
            gettext(
                "Kedjan är bruten: %(n)s fel, det första vid händelse nummer "
                "%(first_broken_seq)s. Kontakta den som förvaltar systemet."
            )
            % {"n": len(result.problems), "first_broken_seq": result.first_broken_seq},
            "error",
        )


# --- alerts --------------------------------------------------------------------------


async def _alerts_page(
    request: AnyRequest, principal: Principal, kind: str, *, error: str = ""
) -> Template:
    """The open alerts; after a refused "Kvittera valda" with its error (400)."""
    kind = kind if kind in ALERT_LABELS else ""
    rows = await alerts.open_alerts(principal, kind)
    return _page(
        request,
        "admin/alerts/list.html",
        {"alerts": rows, "kind": kind, "limit": alerts.ALERT_LIMIT, "bulk_error": error},
        status_code=400 if error else 200,
    )


class AlertPages(Controller):
    path = "/admin/alerts"
    include_in_schema = False

    @get("/", opt=ALERTS, name="admin.alerts")
    async def list_alerts(
        self, request: AnyRequest, principal: Signed, kind: FromQuery[str] = ""
    ) -> Template:
        return await _alerts_page(request, principal, kind)

    @post("/acknowledge", opt=ALERTS, name="admin.alerts.acknowledge_selected")
    async def acknowledge_selected(
        self, request: AnyRequest, principal: Signed, data: URLEncodedBody[SelectionForm]
    ) -> Redirect | Template:
        """ "Kvittera valda": every ticked alert in one transaction."""
        try:
            ids = read_selection(ticked(data))
        except FormErrors as exc:
            return await _alerts_page(request, principal, "", error=str(exc))
        done = await alerts.acknowledge_alerts(principal, ids)
        message = ngettext(
            "%(num)s avisering är kvitterad.", "%(num)s aviseringar är kvitterade.", done
        ) % {"num": done}
        if done < len(ids):
            message += " " + gettext("De andra var redan kvitterade av någon annan.")
        return redirect_with_flash(request, "/admin/alerts", message)

    @post("/{alert_id:int}/acknowledge", opt=ALERTS, name="admin.alerts.acknowledge")
    async def acknowledge(
        self, request: AnyRequest, principal: Signed, alert_id: FromPath[int]
    ) -> Redirect:
        if await alerts.acknowledge_alert(principal, alert_id):
            return redirect_with_flash(
                request, "/admin/alerts", gettext("Aviseringen är kvitterad.")
            )
        return redirect_with_flash(
            request,
            "/admin/alerts",
            gettext("Aviseringen var redan kvitterad av någon annan."),
            "info",
        )


ADMIN_ROUTES = [AdminUsersApi, UserPages, AuditPages, AlertPages]
