"""API tokens and calendar feeds: the pages "API-nycklar" (/account/tokens), the
service-account pages (/admin/service-accounts), their JSON API (/api/v1/tokens,
/api/v1/calendar-feeds, /api/v1/admin/service-accounts) and the feed itself
(/feeds/<address>.ics).

Managing tokens needs a session: these routes carry ``session_only``, so a
bearer request gets the 404 of a route it cannot see.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.admin.forms import ROLE_LABELS
from gvi.core.web import (
    app_settings,
    client_ip,
    page,
    redirect_with_flash,
    translated,
    user_agent,
)
from gvi.i18n import format_datetime, gettext
from gvi.municipalities.tables import Municipality, Unit
from gvi.tokens import feed, services
from gvi.tokens.bearer import SESSION_ONLY, enforce_rate
from gvi.tokens.forms import PERMISSION_LABELS, STATUS_LABELS
from gvi.tokens.schemas import (
    FeedCreatedOut,
    FeedCreateIn,
    ServiceAccountCreateIn,
    ServiceAccountOut,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
)
from gvi.tokens.tables import TokenKind

OWN = {"permission": Permission.authenticated, SESSION_ONLY: True}
FEEDS = {"permission": Permission.callins_read, SESSION_ONLY: True}
ADMIN = {"permission": Permission.users_manage, SESSION_ONLY: True}
DEFAULT_DAYS = 30


def _out(view: services.TokenView) -> TokenOut:
    return TokenOut(
        id=view.id,
        kind=view.kind,
        name=view.name,
        owner_id=view.owner_id,
        permissions=list(view.permissions),
        municipality_ids=list(view.municipality_ids),
        whole_scope=view.whole_scope,
        status=view.status,
        created_at=view.created_at,
        expires_at=view.expires_at,
        revoked_at=view.revoked_at,
        last_used_at=view.last_used_at,
    )


def _account_out(view: services.ServiceAccountView) -> ServiceAccountOut:
    return ServiceAccountOut(
        id=view.id,
        username=view.username,
        display_name=view.display_name,
        role=view.role,
        unit_id=view.unit_id,
        municipality_ids=list(view.municipality_ids),
        is_active=view.is_active,
    )


def _bad_request(exc: services.TokenError) -> HTTPException:
    detail = "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
    return HTTPException(status_code=400, detail=detail)


def feed_url(request: Request[Any, Any, Any], secret: str) -> str:
    # The host the person reached us by (checked against GVI_ALLOWED_HOSTS).
    return str(request.base_url).rstrip("/") + f"/feeds/{secret}.ics"


# --- JSON API ----------------------------------------------------------------------


class TokensApi(Controller):
    path = "/api/v1/tokens"
    tags = ["tokens"]

    @get("/", opt=OWN, name="api.tokens.list")
    async def list_tokens(self, principal: NamedDependency[Principal]) -> list[TokenOut]:
        """The signed-in user's API tokens, newest first (revoked and expired too)."""
        rows = await services.list_tokens(principal, principal.user_id, TokenKind.api)
        return [_out(r) for r in rows]

    @post("/", opt=OWN, name="api.tokens.create")
    async def create_token(
        self, principal: NamedDependency[Principal], data: JSONBody[TokenCreateIn]
    ) -> TokenCreatedOut:
        """A personal token: a subset of the user's permissions and municipalities,
        valid at most 90 days. The secret is in this answer only."""
        try:
            new = await services.create_token(
                principal,
                owner_id=principal.user_id,
                name=data.name,
                permissions=data.permissions,
                municipality_ids=data.municipality_ids,
                days=data.days,
            )
        except services.TokenError as exc:
            raise _bad_request(exc) from exc
        return TokenCreatedOut(token=_out(new.token), secret=new.secret)

    @post("/{token_id:int}/revoke", opt=OWN, name="api.tokens.revoke", status_code=200)
    async def revoke_token(
        self, principal: NamedDependency[Principal], token_id: FromPath[int]
    ) -> TokenOut:
        """Revoke one of the user's tokens or feeds (an admin: a service account's token)."""
        try:
            return _out(await services.revoke_token(principal, token_id))
        except services.TokenNotFound as exc:
            raise NotFoundException() from exc


class FeedsApi(Controller):
    path = "/api/v1/calendar-feeds"
    tags = ["tokens"]

    @get("/", opt=FEEDS, name="api.feeds.list")
    async def list_feeds(self, principal: NamedDependency[Principal]) -> list[TokenOut]:
        rows = await services.list_tokens(principal, principal.user_id, TokenKind.feed)
        return [_out(r) for r in rows]

    @post("/", opt=FEEDS, name="api.feeds.create")
    async def create_feed(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[FeedCreateIn],
    ) -> FeedCreatedOut:
        """A calendar address: call-ins of the user's scope, read-only. Revoke it
        at /api/v1/tokens/{id}/revoke."""
        try:
            new = await services.create_feed(principal, name=data.name)
        except services.TokenError as exc:
            raise _bad_request(exc) from exc
        except services.TokenNotFound as exc:
            raise NotFoundException() from exc
        return FeedCreatedOut(feed=_out(new.token), url=feed_url(request, new.secret))


class ServiceAccountsApi(Controller):
    path = "/api/v1/admin/service-accounts"
    tags = ["admin"]

    @get("/", opt=ADMIN, name="api.admin.service_accounts.list")
    async def list_accounts(self, principal: NamedDependency[Principal]) -> list[ServiceAccountOut]:
        return [_account_out(a) for a in await services.list_service_accounts(principal)]

    @post("/", opt=ADMIN, name="api.admin.service_accounts.create")
    async def create_account(
        self, principal: NamedDependency[Principal], data: JSONBody[ServiceAccountCreateIn]
    ) -> ServiceAccountOut:
        """A service account: a role and a scope, no password, no pages."""
        try:
            view = await services.create_service_account(
                principal,
                username=data.username,
                display_name=data.display_name,
                role=data.role.value,
                unit_id=data.unit_id,
                municipality_ids=data.municipality_ids,
            )
        except services.TokenError as exc:
            raise _bad_request(exc) from exc
        return _account_out(view)

    @get("/{user_id:int}/tokens", opt=ADMIN, name="api.admin.service_accounts.tokens")
    async def list_account_tokens(
        self, principal: NamedDependency[Principal], user_id: FromPath[int]
    ) -> list[TokenOut]:
        try:
            rows = await services.list_tokens(principal, user_id, TokenKind.api)
        except services.TokenNotFound as exc:
            raise NotFoundException() from exc
        return [_out(r) for r in rows]

    @post("/{user_id:int}/tokens", opt=ADMIN, name="api.admin.service_accounts.create_token")
    async def create_account_token(
        self,
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
        data: JSONBody[TokenCreateIn],
    ) -> TokenCreatedOut:
        """A token for the service account, within the account's own rights."""
        try:
            new = await services.create_token(
                principal,
                owner_id=user_id,
                name=data.name,
                permissions=data.permissions,
                municipality_ids=data.municipality_ids,
                days=data.days,
            )
        except services.TokenNotFound as exc:
            raise NotFoundException() from exc
        except services.TokenError as exc:
            raise _bad_request(exc) from exc
        return TokenCreatedOut(token=_out(new.token), secret=new.secret)


# --- pages -------------------------------------------------------------------------


def _form_ints(form: FormMultiDict, key: str) -> list[int]:
    out = []
    for value in form.getall(key, []):
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) < 10:
            out.append(int(text))
    return out


def _form_days(form: FormMultiDict) -> int | None:
    text = str(form.get("days", "")).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else None


def _typed(form: FormMultiDict) -> dict[str, Any]:
    """What was typed and ticked, to show again beside the errors."""
    return {
        "name": str(form.get("name", "")),
        "permissions": [str(p) for p in form.getall("permissions", [])],
        "municipalities": _form_ints(form, "municipalities"),
        "days": str(form.get("days", DEFAULT_DAYS)),
    }


async def _token_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    owner_id: int,
    template: str,
    extra: dict[str, Any],
    *,
    status_code: int = 200,
) -> Template:
    role, municipalities = await services.owner_scope(principal, owner_id)
    tokens = await services.list_tokens(principal, owner_id, TokenKind.api)
    ctx: dict[str, Any] = {
        "tokens": tokens,
        "grantable": [p.value for p in services.grantable_permissions(role)],
        "permission_labels": translated(PERMISSION_LABELS),
        "status_labels": translated(STATUS_LABELS),
        "role_labels": translated(ROLE_LABELS),
        "owner_municipalities": municipalities,
        "municipality_names": {m["id"]: m["name"] for m in municipalities},
        "max_days": services.MAX_DAYS,
        "when": format_datetime,
        "form": {"name": "", "permissions": [], "municipalities": [], "days": str(DEFAULT_DAYS)},
        "errors": {},
        "created": None,
        "feed_created": None,
    }
    ctx.update(extra)
    created = ctx["created"]
    if created is not None:
        base = str(request.base_url).rstrip("/")
        ctx["curl_example"] = (
            f'curl -H "Authorization: Bearer {created.secret[:16]}…" {base}/api/v1/callins'
        )
    return page(request, template, ctx, status_code=status_code)


class AccountTokenPages(Controller):
    path = "/account"
    include_in_schema = False

    @get("/tokens", opt=OWN, name="tokens.list")
    async def show_tokens(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await self._page(request, principal, {})

    async def _page(
        self,
        request: Request[Any, Any, Any],
        principal: Principal,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> Template:
        feeds = (
            await services.list_tokens(principal, principal.user_id, TokenKind.feed)
            if principal.can(Permission.callins_read)
            else []
        )
        return await _token_page(
            request,
            principal,
            principal.user_id,
            "tokens/list.html",
            {"feeds": feeds, **extra},
            status_code=status_code,
        )

    @post("/tokens", opt=OWN, name="tokens.create")
    async def create_token(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        form = await request.form()
        typed = _typed(form)
        try:
            new = await services.create_token(
                principal,
                owner_id=principal.user_id,
                name=typed["name"],
                permissions=typed["permissions"],
                municipality_ids=typed["municipalities"],
                days=_form_days(form),
            )
        except services.TokenError as exc:
            return await self._page(
                request, principal, {"form": typed, "errors": exc.errors}, status_code=400
            )
        # Shown on this answer only (no redirect: the secret must not sit in a session).
        return await self._page(request, principal, {"created": new}, status_code=201)

    @post("/tokens/{token_id:int}/revoke", opt=OWN, name="tokens.revoke")
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        token_id: FromPath[int],
    ) -> Redirect:
        try:
            view = await services.revoke_token(principal, token_id)
        except services.TokenNotFound as exc:
            raise NotFoundException() from exc
        if view.owner_id != principal.user_id:
            return redirect_with_flash(
                request,
                f"/admin/service-accounts/{view.owner_id}",
                gettext("Nyckeln återkallades."),
            )
        message = (
            gettext("Kalenderflödet stängdes.")
            if view.kind == TokenKind.feed
            else gettext("Nyckeln återkallades.")
        )
        return redirect_with_flash(request, "/account/tokens", message)

    @post("/feeds", opt=FEEDS, name="feeds.create")
    async def create_feed(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        form = await request.form()
        try:
            new = await services.create_feed(principal, name=str(form.get("feed_name", "")))
        except services.TokenError as exc:
            return await self._page(
                request, principal, {"feed_errors": exc.errors}, status_code=400
            )
        created = {"feed": new.token, "url": feed_url(request, new.secret)}
        return await self._page(request, principal, {"feed_created": created}, status_code=201)


class ServiceAccountPages(Controller):
    path = "/admin/service-accounts"
    include_in_schema = False

    async def _list(
        self,
        request: Request[Any, Any, Any],
        principal: Principal,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> Template:
        units = (
            await Unit.select(Unit.id, Unit.name)
            .where(
                Unit.archived_at.is_null() & (Unit.is_active == True)  # noqa: E712 (Piccolo needs ==)
            )
            .order_by(Unit.name)
        )
        municipalities = await Municipality.select(Municipality.id, Municipality.name).order_by(
            Municipality.name
        )
        ctx: dict[str, Any] = {
            "accounts": await services.list_service_accounts(principal),
            "units": units,
            "municipalities": municipalities,
            "role_labels": {k: v for k, v in translated(ROLE_LABELS).items() if k != "admin"},
            "form": {
                "username": "",
                "display_name": "",
                "role": "",
                "unit": "",
                "municipalities": [],
            },
            "errors": {},
        }
        ctx.update(extra)
        return page(request, "tokens/service_accounts.html", ctx, status_code=status_code)

    @get("/", opt=ADMIN, name="admin.service_accounts.list")
    async def list_accounts(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await self._list(request, principal, {})

    @post("/", opt=ADMIN, name="admin.service_accounts.create")
    async def create_account(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        form = await request.form()
        unit = _form_ints(form, "unit")
        typed: dict[str, Any] = {
            "username": str(form.get("username", "")),
            "display_name": str(form.get("display_name", "")),
            "role": str(form.get("role", "")),
            "unit": str(form.get("unit", "")),
            "municipalities": _form_ints(form, "municipalities"),
        }
        try:
            view = await services.create_service_account(
                principal,
                username=typed["username"],
                display_name=typed["display_name"],
                role=typed["role"],
                unit_id=unit[0] if unit else None,
                municipality_ids=typed["municipalities"],
            )
        except services.TokenError as exc:
            return await self._list(
                request, principal, {"form": typed, "errors": exc.errors}, status_code=400
            )
        return redirect_with_flash(
            request,
            f"/admin/service-accounts/{view.id}",
            gettext("Tjänstekontot skapades. Skapa en API-nyckel åt det nedan."),
        )

    @get("/{user_id:int}", opt=ADMIN, name="admin.service_accounts.show")
    async def show_account(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> Template:
        return await self._show(request, principal, user_id, {})

    async def _show(
        self,
        request: Request[Any, Any, Any],
        principal: Principal,
        user_id: int,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> Template:
        try:
            account = await services.get_service_account(principal, user_id)
            return await _token_page(
                request,
                principal,
                user_id,
                "tokens/service_account.html",
                {"account": account, **extra},
                status_code=status_code,
            )
        except services.TokenNotFound as exc:
            raise NotFoundException() from exc

    @post("/{user_id:int}/tokens", opt=ADMIN, name="admin.service_accounts.create_token")
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        user_id: FromPath[int],
    ) -> Template:
        form = await request.form()
        typed = _typed(form)
        try:
            new = await services.create_token(
                principal,
                owner_id=user_id,
                name=typed["name"],
                permissions=typed["permissions"],
                municipality_ids=typed["municipalities"],
                days=_form_days(form),
            )
        except services.TokenNotFound as exc:
            raise NotFoundException() from exc
        except services.TokenError as exc:
            return await self._show(
                request, principal, user_id, {"form": typed, "errors": exc.errors}, 400
            )
        return await self._show(request, principal, user_id, {"created": new}, 201)


# --- the feed ------------------------------------------------------------------------


@get(
    "/feeds/{address:str}",
    opt={"permission": Permission.public},
    name="feeds.show",
    include_in_schema=False,
)
async def show_feed(request: Request[Any, Any, Any], address: FromPath[str]) -> Response[bytes]:
    """The calendar itself. Public as a route: the secret in the address is the
    credential, checked here (a calendar application sends no header)."""
    secret = address.removesuffix(".ics")
    principal = await services.authenticate(
        secret, TokenKind.feed, ip=client_ip(request), user_agent=user_agent(request)
    )
    if principal is None:
        raise NotFoundException()
    assert principal.token_id is not None
    await enforce_rate(request, principal.token_id)
    body = feed.feed_calendar(
        await feed.feed_events(principal),
        uid_domain=app_settings(request).host_name,
        name=gettext("GVI – call-ins"),
    )
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, no-store",
            # The address is the credential: never pass it on in a Referer.
            "Referrer-Policy": "no-referrer",
        },
    )


TOKEN_ROUTES = [
    TokensApi,
    FeedsApi,
    ServiceAccountsApi,
    AccountTokenPages,
    ServiceAccountPages,
    show_feed,
]
