"""The environment of a bench that runs the app (or its CLI) in child processes
on a throwaway SQLite database: fixed test keys, the database and var folder in
*tmp*. Callers lay it over ``os.environ`` and add what they need."""

from __future__ import annotations

import base64
from pathlib import Path


def sqlite_env(tmp: Path) -> dict[str, str]:
    return {
        "GVI_ENV": "test",
        "GVI_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "GVI_VAR_DIR": str(tmp / "var"),
        "GVI_DATA_KEY": "k1:" + base64.b64encode(b"\x02" * 32).decode(),
        "GVI_AUDIT_KEY": "a1:" + base64.b64encode(b"\x04" * 32).decode(),
        "GVI_AUDIT_SIGNING_KEY": "s1:" + base64.b64encode(b"\x05" * 32).decode(),
        "GVI_SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "PICCOLO_CONF": "gvi.piccolo_conf",
    }
