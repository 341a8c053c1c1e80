"""Refresh ``gvi/static/vendor/plotly-basic.min.js``: plotly.js's partial bundle
with only the trace types the app draws, from the npm registry.

The app draws ``scatter`` and ``bar`` (``gvi/networks/figures.py``,
``gvi/reports/charts.py``, the timeline); ``plotly.js-basic-dist-min`` (bar, pie,
scatter) is the smallest published bundle that has both, about a quarter of the
full bundle. Its minified file is committed byte for byte as npm ships it (its
first lines carry the version and the MIT licence), with the licence file beside
it and ``plotly-basic.json`` naming the package, version, the registry's
integrity and the file's SHA-256. The app hashes the file itself for its URL, so
a refresh is a new URL and browsers never mix versions.

Production has no network: this runs on a developer's machine only::

    .venv/bin/python -m tools.vendor_plotly            # the version in plotly-basic.json
    .venv/bin/python -m tools.vendor_plotly 4.2.0      # another version
    .venv/bin/python -m tools.vendor_plotly --check    # verify the committed file

The tarball is checked against the integrity the registry publishes for it
(``npm view … dist.integrity``) before anything is written.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "gvi" / "static" / "vendor"
PACKAGE = "plotly.js-basic-dist-min"
BUNDLE = VENDOR / "plotly-basic.min.js"
LICENCE = VENDOR / "plotly-basic.LICENSE.txt"
MANIFEST = VENDOR / "plotly-basic.json"


def _npm(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - fixed arguments, our own
        ["npm", *args],  # noqa: S607 - npm from PATH, as the developer runs it
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    return done.stdout.strip()


def _integrity_ok(data: bytes, integrity: str) -> bool:
    algo, _, expected = integrity.partition("-")
    return base64.b64encode(hashlib.new(algo, data).digest()).decode() == expected


def refresh(version: str) -> dict[str, str]:
    integrity = json.loads(_npm("view", f"{PACKAGE}@{version}", "dist.integrity", "--json"))
    with tempfile.TemporaryDirectory(prefix="gvi-plotly-") as tmp:
        _npm("pack", f"{PACKAGE}@{version}", "--silent", cwd=Path(tmp))
        tarball = Path(tmp) / f"{PACKAGE}-{version}.tgz"
        data = tarball.read_bytes()
        if not _integrity_ok(data, integrity):
            raise SystemExit(f"{PACKAGE}@{version}: the tarball does not match {integrity}")
        with tarfile.open(tarball) as tar:
            files = {}
            for name in ("plotly-basic.min.js", "LICENSE"):
                member = tar.extractfile(f"package/{name}")
                if member is None:
                    raise SystemExit(f"{PACKAGE}@{version}: no {name} in the tarball")
                files[name] = member.read()
    bundle = files["plotly-basic.min.js"]
    if f"v{version}".encode() not in bundle[:200]:
        raise SystemExit(f"{PACKAGE}@{version}: the bundle's banner names another version")
    BUNDLE.write_bytes(bundle)
    LICENCE.write_bytes(files["LICENSE"])
    manifest = {
        "package": PACKAGE,
        "version": version,
        "integrity": integrity,
        "sha256": hashlib.sha256(bundle).hexdigest(),
        "traces": "bar, pie, scatter",
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def check() -> bool:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return bool(hashlib.sha256(BUNDLE.read_bytes()).hexdigest() == manifest["sha256"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", nargs="?", help="plotly.js version (default: the committed one)")
    parser.add_argument("--check", action="store_true", help="only verify the committed file")
    args = parser.parse_args(argv)
    if args.check:
        ok = check()
        print("plotly-basic.min.js matches plotly-basic.json" if ok else "checksum mismatch")
        return 0 if ok else 1
    version = args.version or json.loads(MANIFEST.read_text(encoding="utf-8"))["version"]
    manifest = refresh(version)
    print(f"{PACKAGE}@{manifest['version']} sha256:{manifest['sha256']} -> {BUNDLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
