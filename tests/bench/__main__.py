"""Run every ``tests/bench/bench_*.py`` and print each figure beside its baseline and
bound: ``python -m tests.bench [name ...]`` (names filter modules, e.g. ``graph``).

A bench module has ``main() -> list[dict]``; each row has ``name``, ``ours_s``,
``baseline_s``, ``ratio``, ``bound`` and ``ok``. A row that has no baseline (a
payload size, say) sets ``baseline_s`` and ``ratio`` to ``None``, its absolute
``bound`` in the same unit as ``ours_s``, and may name that unit in ``unit``
(default ``s``). A row with a baseline and an absolute bound (seconds) sets
``bound`` to ``None`` and ``bound_s``. Exits 1 if any row is not ok or any bench fails to run.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path
from typing import Any

HEADER = ("name", "ours", "baseline", "ratio", "bound", "ok")


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    return f"{value:,.1f} {unit}"


def _cells(module: str, row: dict[str, Any]) -> tuple[str, ...]:
    unit = str(row.get("unit", "s"))
    ratio, bound, baseline = row.get("ratio"), row.get("bound"), row.get("baseline_s")
    if bound is None and row.get("bound_s") is not None:
        bound_text = f"≤ {_amount(row['bound_s'], unit)}"
    elif bound is None:
        bound_text = "-"
    elif baseline is None:
        bound_text = f"≤ {_amount(bound, unit)}"
    else:
        bound_text = f"≤ {bound:g}×"
    return (
        f"{module}: {row['name']}",
        _amount(row["ours_s"], unit),
        _amount(baseline, unit),
        "-" if ratio is None else f"{ratio:.2f}×",
        bound_text,
        "ok" if row["ok"] else "FAIL",
    )


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(here)])
        if info.name.startswith("bench_")
        and (not argv or any(wanted in info.name for wanted in argv))
    )
    lines: list[tuple[str, ...]] = []
    failed = False
    for name in names:
        try:
            rows = importlib.import_module(f"{__package__}.{name}").main()
        except Exception:
            traceback.print_exc()
            lines.append((name, "-", "-", "-", "-", "ERROR"))
            failed = True
            continue
        for row in rows:
            lines.append(_cells(name.removeprefix("bench_"), row))
            failed = failed or not row["ok"]
    if not names:
        print("no bench modules matched", file=sys.stderr)
        return 1
    widths = [max(len(line[i]) for line in [HEADER, *lines]) for i in range(len(HEADER))]
    for i, line in enumerate([HEADER, *lines]):
        print(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if i == 0:
            print("-+-".join("-" * width for width in widths))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
