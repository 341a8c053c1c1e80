"""The real app under uvicorn on a free localhost port, for the tests that need a
server of their own: browser tests, the crash test, the fuzzer, the bench.

The server gets the test session's environment (its database, data key, Redis)
plus what a plain-HTTP localhost server needs, and a connection pool as in
production (the in-process tests run without one: they share the test's loop).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
APP = "gvi.app:create_app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    port: int,
    env: dict[str, str] | None = None,
    *,
    target: str = APP,
    log: Path | None = None,
    timeout: float = 60,
    via_cli: bool = False,
) -> subprocess.Popen[bytes]:
    """Start uvicorn serving *target* on 127.0.0.1:*port* and wait until /healthz
    answers 200; *env* is laid over the defaults. Output goes to *log* if given.
    *via_cli*: start it as production does, ``gvi serve`` (its uvicorn options)."""
    full_env = {
        **os.environ,
        "GVI_DB_POOL_MIN": "1",
        "GVI_DB_POOL_MAX": "4",
        **(env or {}),
        "GVI_SECURE_COOKIES": "false",
        "GVI_ALLOWED_HOSTS": "127.0.0.1",
        "GVI_PORT": str(port),
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        *(["--factory"] if target == APP else []),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        # As `gvi serve` without GVI_TRUSTED_PROXIES: uvicorn's CLI would trust
        # X-Forwarded-For from 127.0.0.1.
        "--no-proxy-headers",
    ]
    if via_cli:
        full_env.setdefault("GVI_LOG_LEVEL", "WARNING")
        cmd = [sys.executable, "-m", "gvi.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    out = log.open("ab") if log is not None else None
    try:
        proc = subprocess.Popen(cmd, env=full_env, cwd=ROOT, stdout=out, stderr=out)
    finally:
        if out is not None:
            out.close()
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"the server did not start{f'; see {log}' if log else ''}")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_app(env: dict[str, str] | None = None, *, via_cli: bool = False) -> Iterator[str]:
    """The app on a free port for the block; yields its base URL."""
    port = free_port()
    proc = start_server(port, env, via_cli=via_cli)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)
