"""The repository's layout holds: tests mirror the package, development tools stay
out of it, and the code's references to docs/architecture.md name real sections."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GVI = ROOT / "gvi"

# Test packages that cover more than one package of gvi/, or the app as a whole
# (docs/architecture.md §9).
CROSS_PACKAGE = {"app", "bench", "e2e", "e2e_rules", "firstrun", "fuzz", "i18n", "security"}
# Top-level packages beside gvi/ that have tests of their own.
OTHER_PACKAGES = {"seeds"}

_REFERENCE = re.compile(r"\barchitecture(?:\.md)? §(\d+(?:\.\d+)?)")
OLD_REFERENCE = "DESIGN" + " §"  # split, so this file does not name it
_HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", re.M)


def _gvi_names() -> set[str]:
    """Every package and module name inside gvi/ (``callins``, ``tokens``, …)."""
    names = {p.name for p in GVI.rglob("*") if p.is_dir() and (p / "__init__.py").exists()}
    names |= {p.stem for p in GVI.rglob("*.py")}
    return names


def test_test_packages_mirror_the_package() -> None:
    known = _gvi_names() | CROSS_PACKAGE | OTHER_PACKAGES
    test_dirs = {
        p.parent.name
        for p in (ROOT / "tests").glob("*/test_*.py")
        if p.parent.parent == ROOT / "tests"
    }
    strays = sorted(test_dirs - known)
    assert not strays, f"tests/<dir> with no gvi package of that name: {strays}"


def test_nothing_in_gvi_imports_the_development_tools() -> None:
    offenders = []
    for path in GVI.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            if any(m == "tools" or m.startswith("tools.") for m in modules):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
    assert not list(GVI.rglob("regl_codegen.py"))


def test_architecture_references_name_existing_sections() -> None:
    sections = set(_HEADING.findall((ROOT / "docs" / "architecture.md").read_text("utf-8")))
    assert {"4.5", "5", "5.2"} <= sections
    missing = []
    for top in ("gvi", "tests", "templates", "tools"):
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in {".py", ".html", ".js", ".md"} or not path.is_file():
                continue
            for number in _REFERENCE.findall(path.read_text(encoding="utf-8")):
                if number not in sections:
                    missing.append(f"{path.relative_to(ROOT)}: §{number}")
    assert not missing, missing


def test_no_references_to_the_design_note_outside_the_repository() -> None:
    # The old note's references were rewritten to "architecture §n" (docs/architecture.md §10).
    found = []
    for top in ("gvi", "tests", "templates", "tools", "docs"):
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in {".py", ".html", ".js"} or not path.is_file():
                continue
            if OLD_REFERENCE in path.read_text(encoding="utf-8"):
                found.append(str(path.relative_to(ROOT)))
    assert not found, found
