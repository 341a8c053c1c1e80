"""A client generated from the OpenAPI document (openapi-python-client, as an
integrator would) has every operation: no schema component shares a title with
another, so the generator drops nothing (it once dropped the three archive
operations, whose ``VersionIn`` had a namesake, and the unit endpoints' answers)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from litestar import Litestar

from gvi.core.openapi import served_schema

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
DROPPED = ("Endpoint will not be generated", "Could not find reference", "Unable to parse")


def _snake(operation_id: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id).lower()


def test_a_generated_client_has_every_operation(app: Litestar, tmp_path: Path) -> None:
    document = served_schema(app.openapi_schema.to_schema())
    operations = {
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert len(operations) > 100
    (tmp_path / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--output-path", "client"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        # The generator formats its output with ruff, from the same environment.
        env={**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ['PATH']}"},
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert not [line for line in output.splitlines() if any(d in line for d in DROPPED)], output
    generated = {p.stem for p in (tmp_path / "client").rglob("api/*/*.py")}
    missing = sorted(op for op in operations if _snake(op) not in generated)
    assert missing == []
