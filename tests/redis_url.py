"""The Redis database the PostgreSQL suite uses, so it never shares one with the SQLite suite.

``make test`` runs both suites at once and some tests flush their Redis
database. GVI_TEST_REDIS_URL_POSTGRES wins when set; otherwise the SQLite run's
GVI_TEST_REDIS_URL with the database number one lower (``/15`` becomes ``/14``,
``/0`` becomes ``/1``). Printed empty when no Redis is configured.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


def postgres_suite_url(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    chosen = environ.get("GVI_TEST_REDIS_URL_POSTGRES", "")
    if chosen:
        return chosen
    base = environ.get("GVI_TEST_REDIS_URL", "")
    if not base:
        return ""
    parts = urlsplit(base)
    number = int(parts.path.strip("/") or "0")
    other = number - 1 if number > 0 else 1
    return urlunsplit(parts._replace(path=f"/{other}"))


if __name__ == "__main__":
    print(postgres_suite_url())
