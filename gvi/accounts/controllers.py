"""Sign-in pages: password, second factor, sign-out."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.accounts import services, signin
from gvi.accounts.forms import LanguageForm, LoginForm, TotpForm
from gvi.core.web import page, redirect_with_flash
from gvi.i18n import gettext
from gvi.security.sessions import get_session

PUBLIC = {"permission": Permission.public}


@get("/login", opt=PUBLIC, name="accounts.login", include_in_schema=False)
async def show_login(request: Request[Any, Any, Any]) -> Template:
    return page(request, "accounts/login.html", {"form": LoginForm(), **_login_options()})


def _login_options() -> dict[str, Any]:
    """The identity provider's button, and whether the password form is for
    everyone or only the break-glass account (gvi/oidc)."""
    from gvi.settings import get_settings

    settings = get_settings()
    return {
        "oidc_name": settings.oidc_name if settings.oidc_enabled else "",
        "password_login": settings.password_login,
    }


@post("/login", opt=PUBLIC, name="accounts.login_submit", include_in_schema=False)
async def submit_login(
    request: Request[Any, Any, Any], data: URLEncodedBody[LoginForm]
) -> Template | Redirect:
    result = await signin.password_step(request, data.username, data.password)
    if not result.ok:
        # Keep what was typed (not the password) and say what to do.
        return page(
            request,
            "accounts/login.html",
            {
                "form": LoginForm(username=data.username),
                "error": result.message,
                **_login_options(),
            },
            status_code=400,
        )
    if result.needs_totp:
        return Redirect(path="/login/totp", status_code=303)
    return redirect_with_flash(request, "/", gettext("Du är inloggad."))


@get("/login/totp", opt=PUBLIC, name="accounts.totp", include_in_schema=False)
async def show_totp(request: Request[Any, Any, Any]) -> Template | Redirect:
    if not get_session(request).get("pending_user"):
        return Redirect(path="/login", status_code=303)
    return page(request, "accounts/totp.html")


@post("/login/totp", opt=PUBLIC, name="accounts.totp_submit", include_in_schema=False)
async def submit_totp(
    request: Request[Any, Any, Any], data: URLEncodedBody[TotpForm]
) -> Template | Redirect:
    try:
        ok = await signin.totp_step(request, data.code)
    except services.AccountError as exc:
        get_session(request).flash(str(exc), "error")
        return Redirect(path="/login", status_code=303)
    if not ok:
        return page(
            request, "accounts/totp.html", {"error": gettext(services.TOTP_FAILED)}, status_code=400
        )
    return redirect_with_flash(request, "/", gettext("Du är inloggad."))


@post(
    "/logout",
    opt={"permission": Permission.authenticated},
    name="accounts.logout",
    include_in_schema=False,
)
async def submit_logout(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal]
) -> Template | Redirect:
    id_token = get_session(request).get("oidc_id_token")
    await signin.logout(request, principal)
    if id_token:
        # Signed in through the identity provider: end its session too.
        from gvi.oidc.controllers import end_session_page

        onward = await end_session_page(request, str(id_token))
        if onward is not None:
            return onward
    return Redirect(path="/login", status_code=303)


@post("/language", opt=PUBLIC, name="accounts.language", include_in_schema=False)
async def choose_language(
    request: Request[Any, Any, Any], data: URLEncodedBody[LanguageForm]
) -> Redirect:
    """Switch between Swedish and English; remembered on the account when signed in."""
    await signin.set_language(request, data.lang)
    # Only a path on this site: never an open redirect.
    target = data.next if data.next.startswith("/") and not data.next.startswith("//") else "/"
    return Redirect(path=target, status_code=303)


ACCOUNT_ROUTES = [choose_language, show_login, submit_login, show_totp, submit_totp, submit_logout]
