"""What production refuses in the identity-provider settings (``gvi serve``)."""

from __future__ import annotations

from gvi.settings import Settings


def production_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.oidc_issuer and not settings.oidc_issuer.startswith("https://"):
        problems.append("GVI_OIDC_ISSUER must be an https:// address in production")
    if settings.oidc_issuer and not (settings.oidc_client_id and settings.oidc_client_secret):
        problems.append("GVI_OIDC_ISSUER needs GVI_OIDC_CLIENT_ID and GVI_OIDC_CLIENT_SECRET")
    if not settings.password_login and not settings.oidc_enabled:
        problems.append("GVI_PASSWORD_LOGIN=false needs an identity provider (GVI_OIDC_ISSUER)")
    if not settings.password_login and not settings.break_glass_account:
        problems.append(
            "GVI_PASSWORD_LOGIN=false needs GVI_BREAK_GLASS_ACCOUNT (an administrator who can "
            "still sign in when the provider is down)"
        )
    return problems
