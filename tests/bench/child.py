"""Run a bench's work in a child process: the database URL (a temporary SQLite
file) and keys are set before any gvi module, and its engine, is imported. The
child gets ``--child <database file>`` and prints its rows as JSON on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.bench.sandbox import sqlite_env


def run(module: str, prefix: str) -> list[dict[str, Any]]:
    """``python -m <module> --child <file>`` with a fresh SQLite database; its rows."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    db_path = tmp / "bench.sqlite3"
    env = {**os.environ, **sqlite_env(tmp), "GVI_DB_POOL_MAX": "0"}
    env.pop("GVI_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", module, "--child", str(db_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    rows: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows
