"""``create_app()``: the one place the Litestar application is assembled."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache, partial
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from litestar import Litestar, Router
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from gvi import i18n
from gvi.access.guards import AccessMiddleware, current_principal
from gvi.access.permissions import Permission, has_permission
from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.admin.forms import role_label
from gvi.audit.labels import action_label
from gvi.core import paging
from gvi.core.errors import EXCEPTION_HANDLERS
from gvi.core.hygiene import refuse_control_characters
from gvi.core.middleware import LanguageMiddleware
from gvi.core.openapi import (
    SchemaJsonPlugin,
    document_error_answers,
    document_security,
    security_components,
)
from gvi.core.rest import expected_version, page_window
from gvi.db import app_engine, lifespan_pool
from gvi.security.csrf import csrf_token
from gvi.security.headers import SecurityHeadersMiddleware, csp_nonce
from gvi.security.sessions import SessionMiddleware, session_settings
from gvi.settings import ROOT, Settings, get_settings

log = logging.getLogger("gvi")

STATIC_DIR = ROOT / "gvi" / "static"
TEMPLATE_DIR = ROOT / "templates"


def _store(settings: Settings, namespace: str) -> Store:
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        return RedisStore.with_client(url=settings.redis_url, namespace=f"gvi:{namespace}")
    if settings.env == "test":
        return MemoryStore()
    return FileStore(path=settings.var_dir / namespace, create_directories=True)


def _template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Re-reading changed templates costs a stat per template per page: only
        # while developing.
        auto_reload=settings.env == "development",
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    # The extension's ``_`` goes through three context calls; a page has dozens.
    env.globals["_"] = i18n.template_gettext
    env.globals["current_language"] = i18n.current_language
    env.filters["date"] = i18n.format_date
    env.filters["datetime"] = i18n.format_datetime
    env.filters["number"] = i18n.format_number
    env.filters["percent"] = i18n.format_percent
    env.filters["num"] = i18n.format_number
    env.filters["pct"] = i18n.format_percent
    env.globals["P"] = Permission
    env.globals["list_url"] = paging.list_url
    env.globals["page_window"] = paging.page_window
    # Roles and audit tags as users read them (issue 21: no codes on the page).
    env.globals["role_label"] = role_label
    env.globals["audit_label"] = action_label

    @pass_context
    def csrf_field_value(ctx: Any) -> str:
        return csrf_token(ctx["request"])

    @pass_context
    def nonce(ctx: Any) -> str:
        return csp_nonce(ctx["request"])

    env.globals["csrf_field_value"] = csrf_field_value
    env.globals["csp_nonce"] = nonce
    env.globals["main_nav"] = _main_nav(env)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


NavCounts = tuple[tuple[str, int], ...]


def _main_nav(env: Environment) -> Callable[[Principal, dict[str, int] | None], Markup]:
    """The main menu (``templates/nav.html``) for a principal: it depends on the
    role, the language and the menu's counts (gvi/notify/menu.py) alone, so each
    combination is rendered once and reused (the menu asks 17 permission questions
    in 17 translated labels on every page). While developing, templates are
    re-read, so nothing is kept."""

    def render(role: Role, counts: NavCounts) -> Markup:
        html = env.get_template("nav.html").render(
            can=partial(has_permission, role), counts=dict(counts)
        )
        return Markup(html.strip())  # noqa: S704 (our own template, autoescaped)

    def key(counts: dict[str, int] | None) -> NavCounts:
        return tuple(sorted((counts or {}).items()))

    @lru_cache(maxsize=256)
    def cached(role: Role, language: str, counts: NavCounts) -> Markup:
        return render(role, counts)

    def main_nav(principal: Principal, counts: dict[str, int] | None = None) -> Markup:
        if env.auto_reload:
            return render(principal.role, key(counts))
        return cached(principal.role, i18n.current_language(), key(counts))

    return main_nav


def _route_handlers() -> list[Any]:
    from gvi.accounts.controllers import ACCOUNT_ROUTES
    from gvi.admin.controllers import ADMIN_ROUTES
    from gvi.callins.controllers import CALLIN_ROUTES
    from gvi.core.health import healthz, readyz
    from gvi.core.home import home
    from gvi.defectors.controllers import CASE_ROUTES
    from gvi.defectors.transfer_controllers import TRANSFER_ROUTES
    from gvi.enforcement.controllers import ENFORCEMENT_ROUTES
    from gvi.groups.controllers import GROUP_ROUTES
    from gvi.incidents.controllers import INCIDENT_ROUTES
    from gvi.networks.controllers import NETWORK_ROUTES
    from gvi.networks.timeline_controllers import TIMELINE_ROUTES
    from gvi.notifications.controllers import NOTIFICATION_ROUTES
    from gvi.notify.controllers import ACCOUNT_ROUTES as DIGEST_ROUTES
    from gvi.oidc.controllers import OIDC_ROUTES
    from gvi.org.controllers import ORG_ROUTES
    from gvi.outreach.controllers import OUTREACH_ROUTES
    from gvi.people.controllers import PEOPLE_ROUTES
    from gvi.plans.controllers import PLAN_ROUTES
    from gvi.records.controllers import RECORD_ROUTES
    from gvi.reports.controllers import REPORT_ROUTES
    from gvi.search.controllers import SEARCH_ROUTES
    from gvi.support.controllers import SUPPORT_ROUTES
    from gvi.support.method_controllers import METHOD_ROUTES
    from gvi.support.provider_controllers import PROVIDER_CONTROL_ROUTES
    from gvi.tasks.controllers import TASK_ROUTES
    from gvi.tokens.controllers import TOKEN_ROUTES

    return [
        healthz,
        readyz,
        home,
        *ACCOUNT_ROUTES,
        *OIDC_ROUTES,
        *ADMIN_ROUTES,
        *ORG_ROUTES,
        *PEOPLE_ROUTES,
        *GROUP_ROUTES,
        *CASE_ROUTES,
        *PLAN_ROUTES,
        *TRANSFER_ROUTES,
        *SUPPORT_ROUTES,
        *METHOD_ROUTES,
        *PROVIDER_CONTROL_ROUTES,
        *OUTREACH_ROUTES,
        *RECORD_ROUTES,
        *INCIDENT_ROUTES,
        *CALLIN_ROUTES,
        *NOTIFICATION_ROUTES,
        *ENFORCEMENT_ROUTES,
        *TASK_ROUTES,
        *TOKEN_ROUTES,
        *DIGEST_ROUTES,
        *REPORT_ROUTES,
        *SEARCH_ROUTES,
        # Also /static/vendor/plotly-basic.<hash>.min.js and plotly.<hash>.css:
        # plain paths win over /static.
        *NETWORK_ROUTES,
        *TIMELINE_ROUTES,
        create_static_files_router(
            path="/static",
            directories=[STATIC_DIR],
            opt={"permission": Permission.public},
            name="static",
        ),
    ]


def _allowed_hosts(settings: Settings) -> list[str]:
    # Litestar compares the whole Host header; browsers add the port when it is
    # not the default, as on a local `make run` (127.0.0.1:8000).
    hosts = list(settings.allowed_hosts)
    return hosts + [f"{h}:{settings.port}" for h in hosts if not h.startswith("*")]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    engine = app_engine()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from gvi.accounts.passwords import verify_dummy_async
        from gvi.audit.checkpoints import checkpoint_lifespan

        # Build the dummy hash now, so the first unknown-user login is not slower.
        await verify_dummy_async()
        async with lifespan_pool(engine, settings), checkpoint_lifespan(settings):
            yield

    from gvi.notify.menu import add_menu_counts

    stores = {"sessions": _store(settings, "sessions"), "throttle": _store(settings, "throttle")}
    sessions = session_settings(
        secure=settings.secure_cookies,
        idle_minutes=settings.session_idle_minutes,
        max_hours=settings.session_max_hours,
    )
    openapi = OpenAPIConfig(
        components=security_components(sessions.cookie_name),
        title="GVI-stöd API",
        version="1",
        render_plugins=[SchemaJsonPlugin()],
        openapi_router=Router(
            path="/api/v1/schema",
            route_handlers=[],
            opt={"permission": Permission.authenticated},
            # The schema's own pages are no API operations (one answers HTML 404s).
            include_in_schema=False,
        ),
    )
    app = Litestar(
        route_handlers=_route_handlers(),
        dependencies={
            "principal": Provide(current_principal, sync_to_thread=False),
            # page and page_size of every API list (gvi/core/rest.py)
            "window": Provide(page_window, sync_to_thread=False),
            # the version If-Match names, on PATCH and DELETE (gvi/core/rest.py)
            "expected": Provide(expected_version, sync_to_thread=False),
        },
        middleware=[
            SecurityHeadersMiddleware(hsts=settings.secure_cookies),
            SessionMiddleware(store=stores["sessions"], settings=sessions),
            LanguageMiddleware(),
            # Innermost: default deny, CSRF and the route's permission.
            AccessMiddleware,
        ],
        stores=stores,
        template_config=_template_config(settings),
        allowed_hosts=AllowedHostsConfig(allowed_hosts=_allowed_hosts(settings)),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        # Background jobs run in `gvi worker` processes (gvi/jobs), not here.
        lifespan=[lifespan],
        # One place for input hygiene: control characters are refused before any
        # handler decodes a form or a body (gvi/core/text.py).
        before_request=refuse_control_characters,
        # The menu's counts ("Uppgifter (3)"), on pages only (gvi/notify/menu.py).
        after_request=add_menu_counts,
        debug=False,
    )
    # Read at request time where the app's own settings matter (gvi/tokens: the
    # API rate limit, the feed's host name), so a test's create_app(settings) holds.
    app.state.settings = settings
    document_error_answers(app)
    document_security(app)
    return app
