"""Tests of :mod:`gvi.support` (offers of support and providers).

The name ``tests.support`` also keeps answering for the shared helpers that
lived here before the tests mirrored the package: new code imports them from
:mod:`tests.clients`, :mod:`tests.database` and :mod:`tests.factories`.
"""

from tests.clients import PASSWORD, SESSION_COOKIE, csrf_from, fresh_code, login, signed_in, token
from tests.database import empty_database, reference_municipality
from tests.factories import make_user

__all__ = [
    "PASSWORD",
    "SESSION_COOKIE",
    "csrf_from",
    "empty_database",
    "fresh_code",
    "login",
    "make_user",
    "reference_municipality",
    "signed_in",
    "token",
]
