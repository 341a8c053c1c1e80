"""The account page (/account): where the daily digest goes, and opting out of it.

Only the user's own row is read or written; a session is needed (a bearer token
gets the 404 of a route it cannot see)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.failures import Refused
from gvi.core.web import page, refusal_view, submit
from gvi.i18n import gettext
from gvi.notify import services
from gvi.tokens.bearer import SESSION_ONLY

OWN = {"permission": Permission.authenticated, SESSION_ONLY: True}


def _account_page(
    request: Request[Any, Any, Any],
    form: services.DigestSettings,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "notify/account.html",
        {"form": form, "errors": errors or {}},
        status_code=status_code,
    )


@get("/account", opt=OWN, name="notify.account", include_in_schema=False)
async def show_account(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal]
) -> Template:
    return _account_page(request, await services.digest_settings(principal))


@post("/account", opt=OWN, name="notify.account_submit", include_in_schema=False)
async def submit_account(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal]
) -> Template | Redirect:
    data = await request.form()
    typed = services.DigestSettings(
        email=str(data.get("email", ""))[: services.EMAIL_MAX + 10],
        opt_out=data.get("digest") != "yes",
    )

    def rerender(exc: Refused, status: int) -> Template:
        view = refusal_view(exc)
        return _account_page(request, typed, errors=view["errors"], status_code=status)

    return await submit(
        request,
        services.update_digest_settings(principal, email=typed.email, opt_out=typed.opt_out),
        rerender=rerender,
        to="/account",
        flash=gettext("Inställningarna är sparade."),
    )


ACCOUNT_ROUTES = [show_account, submit_account]
