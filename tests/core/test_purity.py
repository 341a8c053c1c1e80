"""The modules documented as pure are pure in fact: importing one in a fresh
interpreter loads neither the web framework nor the ORM."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = [
    "gvi.core.failures",
    "gvi.core.clock",
    "gvi.core.paging",
    "gvi.core.forms",
    "gvi.core.exporting",
    "gvi.i18n",
    "gvi.defectors.transitions",
    "gvi.support.transitions",
    "gvi.networks.figures",
    "gvi.jobs.registry",
    "gvi.networks.labels",
    "gvi.networks.kernels",
    "gvi.networks.person_analyses",
    "gvi.networks.interchange",
    "gvi.networks.timeline",
    "gvi.notify.digest",
]

PROBE = """
import importlib, sys
importlib.import_module(sys.argv[1])
loaded = sorted({m.split('.')[0] for m in sys.modules} & {'litestar', 'piccolo'})
print(','.join(loaded))
"""


@pytest.mark.parametrize("module", PURE)
def test_pure_module_loads_no_framework(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "", f"{module} loads {done.stdout.strip()}"


def test_no_services_module_imports_litestar() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "gvi"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("services*.py")
        if "litestar" in path.read_text(encoding="utf-8")
    ]
    offenders += [
        str(path.relative_to(root))
        for path in root.rglob("services/*.py")
        if "litestar" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
