"""Form bodies for the account pages."""

from __future__ import annotations

import msgspec


class LoginForm(msgspec.Struct):
    username: str = ""
    password: str = ""


class TotpForm(msgspec.Struct):
    code: str = ""


class LanguageForm(msgspec.Struct):
    lang: str = "sv"
    next: str = "/"
