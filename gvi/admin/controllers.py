"""Admin: the user pages under /admin/users, the audit views under /admin/audit,
alerts under /admin/alerts, and the JSON API under /api/v1/admin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.accounts import services as accounts
from gvi.accounts.throttle import LoginThrottle
from gvi.admin import services
from gvi.admin.forms import (
    ALERT_LABELS,
    CONFIRM_MESSAGE,
    CONFIRM_VALUE,
    ROLE_LABELS,
    EditUserForm,
    NewUserForm,
    PersonTrailForm,
    UserActionForm,
    ids,
    optional_id,
    version_of,
)
from gvi.admin.schemas import (
    UserCreatedOut,
    UserCreateIn,
    UserOut,
    UserPage,
    UserUnitsIn,
    VersionIn,
)
from gvi.core.paging import PageNumber
from gvi.core.web import page, redirect_with_flash, translated
from gvi.i18n import gettext

PAGE_SIZE = 50
USERS = {"permission": Permission.users_manage}
AUDIT = {"permission": Permission.audit_read}
ALERTS = {"permission": Permission.alerts_read}

try:
    _LOCAL_TZ: ZoneInfo | None = ZoneInfo("Europe/Stockholm")
except ZoneInfoNotFoundError:  # a slim image without tzdata: show UTC and say so
    _LOCAL_TZ = None


def local_time(moment: datetime | None) -> str:
    """Swedish local time for people; UTC (marked) where the zone data is missing."""
    if moment is None:
        return "–"
    if _LOCAL_TZ is None:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.astimezone(_LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _throttle(request: Request[Any, Any, Any]) -> LoginThrottle:
    return accounts.login_throttle(request)


def _page(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    ctx: dict[str, Any] = {
        "when": local_time,
        "role_labels": translated(ROLE_LABELS),
        "alert_labels": translated(ALERT_LABELS),
        "confirm_value": CONFIRM_VALUE,
    }
    ctx.update(context or {})
    return page(request, template, ctx, status_code=status_code)


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
    )


# --- JSON API ----------------------------------------------------------------------


class AdminUsersApi(Controller):
    path = "/api/v1/admin/users"
    tags = ["admin"]

    @get("/", opt=USERS, name="api.admin.users.list")
    async def list_users(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> UserPage:
        page = max(page, 1)
        rows, total = await services.list_users(
            principal,
            throttle=_throttle(request),
            search=q,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        return UserPage(
            items=[_user_out(u) for u in rows], total=total, page=page, page_size=PAGE_SIZE
        )

    @post("/", opt=USERS, name="api.admin.users.create")
    async def create_user(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[UserCreateIn],
    ) -> UserCreatedOut:
        draft = services.UserDraft(
            username=data.username,
            display_name=data.display_name,
            role=data.role.value,
            password=data.password,
            unit_id=data.unit_id,
            municipality_ids=tuple(data.municipality_ids),
        )
        try:
            new = await services.create_user(principal, draft)
        except services.FormErrors as exc:
            detail = "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
            raise HTTPException(status_code=400, detail=detail) from exc
        created = await services.get_user(principal, new.user.id, throttle=_throttle(request))
        return UserCreatedOut(
            user=_user_out(created.user),
            totp_secret=new.totp_secret,
            totp_uri=new.totp_uri,
            recovery_codes=new.recovery_codes,
        )

    @post(
        "/{user_id:int}/disable",
        opt=USERS,
        name="api.admin.users.disable",
        status_code=200,
    )
    async def disable_user(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: JSONBody[VersionIn],
    ) -> UserOut:
        try:
            await services.disable_user(principal, user_id, data.version)
        except services.VersionConflict as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from exc
        except services.AdminError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        detail = await services.get_user(principal, user_id, throttle=_throttle(request))
        return _user_out(detail.user)

    @post("/{user_id:int}/units", opt=USERS, name="api.admin.users.units", status_code=200)
    async def set_user_units(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: JSONBody[UserUnitsIn],
    ) -> UserOut:
        """Move a user: home unit and joint units. Their scope follows, and their
        sessions end at once when it changes."""
        current = await services.get_user(principal, user_id, throttle=_throttle(request))
        try:
            await services.update_user(
                principal,
                user_id,
                data.version,
                display_name=current.user.display_name,
                unit_id=data.unit_id,
                municipality_ids=current.user.municipality_ids,
                joint_unit_ids=data.joint_unit_ids,
            )
        except services.VersionConflict as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from exc
        except services.FormErrors as exc:
            message = "; ".join(f"{field}: {text}" for field, text in exc.errors.items())
            raise HTTPException(status_code=400, detail=message) from exc
        moved = await services.get_user(principal, user_id, throttle=_throttle(request))
        return _user_out(moved.user)


# --- user pages --------------------------------------------------------------------


async def _new_user_page(
    request: Request[Any, Any, Any],
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
            },
            "errors": errors or {},
            "units": await services.unit_choices(principal),
            "municipalities": await services.municipality_choices(principal),
        },
        status_code=status_code,
    )


async def _user_page(
    request: Request[Any, Any, Any],
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
    }
    if edit is not None:
        # What the admin typed stays after an error.
        try:
            ticked = set(ids(edit.municipalities))
        except ValueError:
            ticked = set()
        try:
            joint = set(ids(edit.joint_units))
        except ValueError:
            joint = set()
        edit_form = {
            "display_name": edit.display_name,
            "unit": edit.unit,
            "municipalities": ticked,
            "joint_units": joint,
        }
    return _page(
        request,
        "admin/users/show.html",
        {
            "detail": detail,
            "user": user,
            "is_self": user.id == principal.user_id,
            "error": error,
            "errors": errors or {},
            "edit": edit_form,
            "units": await services.unit_choices(principal),
            "municipalities": await services.municipality_choices(principal),
        },
        status_code=status_code,
    )


class UserPages(Controller):
    path = "/admin/users"
    include_in_schema = False

    @get("/", opt=USERS, name="admin.users.list")
    async def list_users(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        page_no = max(page, 1)
        rows, total = await services.list_users(
            principal,
            throttle=_throttle(request),
            search=q,
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
        return _page(
            request,
            "admin/users/list.html",
            {
                "users": rows,
                "total": total,
                "q": q,
                "page": page_no,
                "pages": max(1, -(-total // PAGE_SIZE)),
            },
        )

    @get("/new", opt=USERS, name="admin.users.new")
    async def new_user(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _new_user_page(request, principal, NewUserForm())

    @post("/new", opt=USERS, name="admin.users.create", status_code=200)
    async def create_user(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[NewUserForm],
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
        draft = services.UserDraft(
            username=data.username,
            display_name=data.display_name,
            role=data.role,
            password=data.password,
            unit_id=unit_id,
            municipality_ids=municipality_ids,
        )
        try:
            new = await services.create_user(principal, draft, known_errors=errors)
        except services.FormErrors as exc:
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
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> Template:
        return await _user_page(request, principal, user_id)

    @post("/{user_id:int}/edit", opt=USERS, name="admin.users.edit")
    async def edit_user(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
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
        except services.VersionConflict as exc:
            return await _user_page(request, principal, user_id, error=str(exc), status_code=409)
        except services.FormErrors as exc:
            return await _user_page(
                request,
                principal,
                user_id,
                errors={f"edit.{k}": v for k, v in exc.errors.items()},
                edit=data,
                status_code=400,
            )
        message = gettext("Uppgifterna är sparade.")
        if scope_changed:
            message += gettext(" Behörigheten ändrades, så användarens inloggningar avslutades.")
        return redirect_with_flash(request, f"/admin/users/{user_id}", message)

    @post("/{user_id:int}/disable", opt=USERS, name="admin.users.disable")
    async def disable_user(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: URLEncodedBody[UserActionForm],
    ) -> Template | Redirect:
        return await _act(
            request,
            principal,
            user_id,
            data,
            "disable",
            lambda version: services.disable_user(principal, user_id, version),
            gettext("Kontot är avstängt och användarens inloggningar är avslutade."),
            confirm=True,
        )

    @post("/{user_id:int}/enable", opt=USERS, name="admin.users.enable")
    async def enable_user(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: URLEncodedBody[UserActionForm],
    ) -> Template | Redirect:
        return await _act(
            request,
            principal,
            user_id,
            data,
            "enable",
            lambda version: services.enable_user(principal, user_id, version),
            gettext("Kontot är aktiverat igen."),
        )

    @post("/{user_id:int}/unlock", opt=USERS, name="admin.users.unlock")
    async def unlock_user(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: URLEncodedBody[UserActionForm],
    ) -> Template | Redirect:
        throttle = _throttle(request)
        return await _act(
            request,
            principal,
            user_id,
            data,
            "unlock",
            lambda version: services.unlock_user(principal, user_id, version, throttle=throttle),
            gettext("Spärren är hävd. Användaren kan logga in igen."),
        )

    @post("/{user_id:int}/end-sessions", opt=USERS, name="admin.users.end_sessions")
    async def end_sessions(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: URLEncodedBody[UserActionForm],
    ) -> Template | Redirect:
        return await _act(
            request,
            principal,
            user_id,
            data,
            "end_sessions",
            lambda version: services.end_sessions(principal, user_id, version),
            gettext("Alla användarens inloggningar är avslutade."),
            confirm=True,
        )

    @post("/{user_id:int}/role", opt=USERS, name="admin.users.role")
    async def change_role(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: URLEncodedBody[UserActionForm],
    ) -> Template | Redirect:
        async def run(version: int) -> Template | None:
            factor = await services.change_role(principal, user_id, version, data.role)
            if factor is None:
                return None
            return _second_factor_page(request, user_id, factor, reason="role")

        return await _act(
            request,
            principal,
            user_id,
            data,
            "role",
            run,
            gettext("Rollen är ändrad och användarens inloggningar är avslutade."),
            confirm=True,
        )

    @post("/{user_id:int}/reset-totp", opt=USERS, name="admin.users.reset_totp")
    async def reset_totp(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: URLEncodedBody[UserActionForm],
    ) -> Template | Redirect:
        async def run(version: int) -> Template:
            factor = await services.reset_second_factor(principal, user_id, version)
            return _second_factor_page(request, user_id, factor, reason="reset")

        return await _act(request, principal, user_id, data, "reset_totp", run, "", confirm=True)


def _second_factor_page(
    request: Request[Any, Any, Any], user_id: int, factor: services.SecondFactor, *, reason: str
) -> Template:
    # Shown here once, not stored: no redirect, nothing in the session.
    return _page(
        request,
        "admin/users/second_factor.html",
        {"user_id": user_id, "factor": factor, "reason": reason},
    )


async def _act(
    request: Request[Any, Any, Any],
    principal: Principal,
    user_id: int,
    data: UserActionForm,
    action: str,
    run: Callable[[int], Awaitable[Template | None]],
    done: str,
    *,
    confirm: bool = False,
) -> Template | Redirect:
    """Run one user action: confirmation, version conflict and refusals become the
    user page again with the message at the right place. Success redirects with
    *done*, unless the action has a page of its own to show (a new second factor)."""
    if confirm and not data.confirmed:
        return await _user_page(
            request,
            principal,
            user_id,
            errors={f"{action}.confirm": gettext(CONFIRM_MESSAGE)},
            status_code=400,
        )
    try:
        shown = await run(version_of(data))
    except services.VersionConflict as exc:
        return await _user_page(request, principal, user_id, error=str(exc), status_code=409)
    except services.FormErrors as exc:
        return await _user_page(
            request,
            principal,
            user_id,
            errors={f"{action}.{k}": v for k, v in exc.errors.items()},
            status_code=400,
        )
    except services.AdminError as exc:
        return await _user_page(request, principal, user_id, error=str(exc), status_code=400)
    if shown is not None:
        return shown
    return redirect_with_flash(request, f"/admin/users/{user_id}", done)


# --- audit views -------------------------------------------------------------------

AUDIT_VIEWS = ("person", "user", "unusual")


def _number(value: str, default: int) -> int | None:
    value = value.strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        return None


class AuditPages(Controller):
    path = "/admin/audit"
    include_in_schema = False

    @get("/", opt=AUDIT, name="admin.audit")
    async def show_audit(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        view: FromQuery[str] = "person",
        username: FromQuery[str] = "",
        threshold: FromQuery[str] = "",
        days: FromQuery[str] = "",
    ) -> Template:
        view = view if view in AUDIT_VIEWS else "person"
        ctx: dict[str, Any] = {
            "view": view,
            "username": username,
            "threshold": threshold or str(services.UNUSUAL_DEFAULT_THRESHOLD),
            "days": days or str(services.UNUSUAL_DEFAULT_DAYS),
            "errors": {},
        }
        status = 200
        if view == "user" and username.strip():
            try:
                ctx["rows"] = await services.user_reads(principal, username)
                ctx["searched"] = True
            except services.FormErrors as exc:
                ctx["errors"], status = exc.errors, 400
        elif view == "unusual":
            limit = _number(threshold, services.UNUSUAL_DEFAULT_THRESHOLD)
            span = _number(days, services.UNUSUAL_DEFAULT_DAYS)
            errors = {}
            if limit is None:
                errors["threshold"] = gettext("Ange ett heltal.")
            if span is None:
                errors["days"] = gettext("Ange ett heltal.")
            try:
                if errors or limit is None or span is None:
                    raise services.FormErrors(errors)
                ctx["unusual"] = await services.unusual(principal, threshold=limit, days=span)
            except services.FormErrors as exc:
                ctx["errors"], status = exc.errors, 400
        return _page(request, "admin/audit/index.html", ctx, status_code=status)

    # A POST, so what was typed never lands in a URL, a browser history or an
    # access log (someone may type a name or a personnummer by mistake).
    @post("/person", opt=AUDIT, name="admin.audit.person", status_code=200)
    async def person_trail(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[PersonTrailForm],
    ) -> Template:
        ctx: dict[str, Any] = {
            "view": "person",
            "username": "",
            "threshold": str(services.UNUSUAL_DEFAULT_THRESHOLD),
            "days": str(services.UNUSUAL_DEFAULT_DAYS),
            "errors": {},
            "code": data.code,
        }
        status = 200
        try:
            ctx["code"] = services.clean_person_code(data.code)
            ctx["rows"] = await services.person_trail(principal, data.code)
            ctx["searched"] = True
        except services.FormErrors as exc:
            # Do not echo what was typed: it may be a name or a personnummer.
            ctx["errors"], ctx["code"], status = exc.errors, "", 400
        return _page(request, "admin/audit/index.html", ctx, status_code=status)

    @post("/verify", opt=AUDIT, name="admin.audit.verify")
    async def verify_chain(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Redirect:
        result = await services.verify_chain(principal)
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


class AlertPages(Controller):
    path = "/admin/alerts"
    include_in_schema = False

    @get("/", opt=ALERTS, name="admin.alerts")
    async def list_alerts(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        kind: FromQuery[str] = "",
    ) -> Template:
        kind = kind if kind in ALERT_LABELS else ""
        alerts = await services.open_alerts(principal, kind)
        return _page(
            request,
            "admin/alerts/list.html",
            {"alerts": alerts, "kind": kind, "limit": services.ALERT_LIMIT},
        )

    @post("/{alert_id:int}/acknowledge", opt=ALERTS, name="admin.alerts.acknowledge")
    async def acknowledge(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        alert_id: FromPath[int],
    ) -> Redirect:
        if await services.acknowledge_alert(principal, alert_id):
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
