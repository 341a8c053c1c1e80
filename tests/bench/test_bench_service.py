"""Smoke test of ``bench_service``: the whole bench runs at a tiny scale on the suite's
engine and produces well-formed rows. No timing is asserted here (``make bench``
judges the figures); what is asserted is that nothing failed: the pages answered,
the load test had no errors and, on PostgreSQL, a lockout made through one
instance held on the other."""

from __future__ import annotations

import os

import pytest

from tests.bench import bench_service

KEYS = {"name", "ours_s", "baseline_s", "ratio", "bound", "ok"}


def test_service_bench_runs_at_smoke_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = os.environ.get("GVI_TEST_ENGINE", "sqlite")
    monkeypatch.setenv("GVI_BENCH_SCALE", "smoke")
    if engine == "postgres":
        monkeypatch.setattr(bench_service, "PG_ADMIN_URL", os.environ["GVI_TEST_POSTGRES_URL"])
        redis = os.environ.get("GVI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        monkeypatch.setattr(bench_service, "REDIS_URL", redis)

    rows = bench_service.run_engine(engine)

    assert all(row.keys() >= KEYS for row in rows)
    names = [row["name"] for row in rows]
    for figure in (
        "national seed load",
        "over loopback",
        "in process (ASGI call",
        "people list, 300 rows",
        "person search by code",
        "load test p99",
        "errors",
        "peak memory",
    ):
        assert sum(figure in name for name in names) == 1, figure
    by_unit = {row.get("unit"): row for row in rows if row.get("unit")}
    assert by_unit["errors"]["ours_s"] == 0
    assert 0 < by_unit["MiB"]["ours_s"] < 100_000
    assert by_unit["ms"]["ours_s"] > 0
    for row in rows:
        if row["baseline_s"] is not None:
            assert row["ours_s"] > 0
            assert row["baseline_s"] > 0
            assert row["ratio"] == pytest.approx(row["ours_s"] / row["baseline_s"])
    # The baseline replays the rows the load wrote: a baseline that recorded none
    # (a writer change the recorder missed) would make any load look slow.
    seed = next(row for row in rows if "national seed load" in row["name"])
    assert seed["ratio"] < 50
    if engine == "postgres":
        assert by_unit["failures"]["ours_s"] == 0  # the lockout was shared through Redis
        assert "2 instances + Redis" in next(n for n in names if "errors" in n)
