"""The real identity provider of the browser tests: ``oidc-provider`` from the npm
registry, installed at test time with ``npm ci`` from the committed lock file
(every tarball checked against its integrity), cached in ``.vendor/``
(git-ignored), and run by node on loopback (``provider.mjs``)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
VENDOR = HERE / ".vendor"
OIDC_PROVIDER_VERSION = "9.13.3"
# `npm view oidc-provider@9.13.3 dist.integrity`, also in package-lock.json.
OIDC_PROVIDER_INTEGRITY = (
    "sha512-"
    "WmNDX9dLeItBmIqGqspmX5u6Cc7VVMrKUw2InX2T16+bwUJ8m/N5rJ3Ed+YKxE5aZqLp4YqwEi6kMJx4Ui5ffw=="
)
CLIENT_ID = "gvi-browser-test"
CLIENT_SECRET = "gvi-browser-test-secret-0123456789"
IDP_PASSWORD = "losenord-hos-idp"


def _lock_digest() -> str:
    return hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()


def ensure_oidc_provider() -> Path:
    """``.vendor/`` with oidc-provider installed from the lock file (once per lock)."""
    lock = json.loads((HERE / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/oidc-provider"]
    assert pinned["version"] == OIDC_PROVIDER_VERSION
    assert pinned["integrity"] == OIDC_PROVIDER_INTEGRITY
    stamp = VENDOR / ".lock-sha256"
    if stamp.exists() and stamp.read_text() == _lock_digest():
        return VENDOR
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise RuntimeError("node and npm are needed for the OIDC browser tests (.ci/run installs)")
    VENDOR.mkdir(exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, VENDOR / name)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--silent"],
        cwd=VENDOR,
        check=True,
        capture_output=True,
        timeout=300,
    )
    installed = json.loads((VENDOR / "node_modules/oidc-provider/package.json").read_text())
    assert installed["version"] == OIDC_PROVIDER_VERSION
    stamp.write_text(_lock_digest())
    return VENDOR


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str


@contextmanager
def running_identity_provider(
    port: int, *, redirect_uri: str, post_logout_redirect_uri: str, log: Path
) -> Iterator[RunningProvider]:
    vendor = ensure_oidc_provider()
    script = vendor / "provider.mjs"
    # Next to node_modules, so node resolves the package from there.
    shutil.copyfile(HERE / "provider.mjs", script)
    issuer = f"http://localhost:{port}"
    env = {
        **os.environ,
        "PORT": str(port),
        "ISSUER": issuer,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": redirect_uri,
        "POST_LOGOUT_REDIRECT_URI": post_logout_redirect_uri,
        "NODE_ENV": "test",
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(["node", str(script)], cwd=vendor, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"oidc-provider did not start; see {log}")
            time.sleep(0.1)
        yield RunningProvider(issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
