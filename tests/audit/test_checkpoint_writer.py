"""The app writes signed checkpoints by itself: at start-up, while events
arrive (every N events or M minutes), and at shutdown."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from litestar.testing import AsyncTestClient

from gvi.audit import checkpoints as cp_module
from gvi.audit.checkpoints import read_checkpoints
from gvi.audit.events import AuditAction
from gvi.audit.services import record, verify
from gvi.settings import get_settings
from tests.audit.support import principal


def _read(path: Path) -> list[cp_module.Checkpoint]:
    return read_checkpoints(path)


async def test_the_app_checkpoints_at_start_while_events_arrive_and_at_shutdown(
    db: None, tmp_path: Path, monkeypatch: object
) -> None:
    from gvi.app import create_app

    path = tmp_path / "audit-checkpoints.jsonl"
    settings = replace(get_settings(), audit_checkpoint_file=path, audit_checkpoint_every=3)
    monkeypatch.setattr(cp_module, "POLL_SECONDS", 0.05)  # type: ignore[attr-defined]
    first = await record(AuditAction.audit_verify, actor=principal())
    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local"):
        await asyncio.sleep(0.2)
        written = await asyncio.to_thread(_read, path)
        assert [c.reason for c in written] == ["startup"]
        assert written[0].seq == first.seq
        events = [await record(AuditAction.audit_verify, actor=principal()) for _ in range(3)]
        for _ in range(50):
            await asyncio.sleep(0.05)
            written = await asyncio.to_thread(_read, path)
            if len(written) > 1:
                break
        assert written[-1].reason == "events"
        assert written[-1].seq == events[-1].seq
        last = await record(AuditAction.audit_verify, actor=principal())
    written = await asyncio.to_thread(_read, path)
    assert written[-1].reason == "shutdown"
    assert written[-1].seq == last.seq
    assert [c.n for c in written] == list(range(1, len(written) + 1))
    assert (await verify(from_seq=first.seq, checkpoints=written)).ok
