"""Crash safety: the server is killed with SIGKILL in the middle of a stream of
writes; every write it acknowledged is in the database afterwards, the audit
chain is intact and (on SQLite) PRAGMA integrity_check says ok."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import threading

import httpx

from gvi.access.tables import BreakGlass
from gvi.audit.services import verify
from gvi.people.services import Identity, create_person
from gvi.people.tables import Protection
from gvi.settings import get_settings
from tests.clients import PASSWORD, csrf_from, fresh_code
from tests.database import reference_municipality
from tests.factories import make_user
from tests.servers import free_port, start_server


def _login(base: str, username: str, secret: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=10)
    page = c.get("/login")
    r = c.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert r.status_code == 303, r.text
    page = c.get("/login/totp")
    r = c.post("/login/totp", data={"code": fresh_code(secret), "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303, r.text
    return c


async def test_sigkill_during_writes_loses_no_acknowledged_write(db: None) -> None:
    m = await reference_municipality("0125")
    uid, secret = await make_user("krasch-polis", "police", municipality_codes=["0125"])
    from gvi.access.principal import Principal
    from gvi.accounts.tables import Role

    writer = Principal(
        user_id=uid, username="krasch-polis", role=Role.police, municipality_ids=frozenset({m.id})
    )
    person = await create_person(
        writer,
        municipality_id=m.id,
        protection=Protection.skyddad_folkbokforing,
        identity=Identity("Krasch Testsson", None, None, None),
    )
    port = free_port()
    proc = start_server(port)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    enough = threading.Event()  # set once 40 writes are acknowledged: then kill
    try:
        client = _login(f"http://127.0.0.1:{port}", "krasch-polis", secret)
        token = csrf_from(client.get("/").text)

        def writer_loop(n: int) -> None:
            with httpx.Client(base_url=client.base_url, cookies=client.cookies, timeout=5) as c:
                i = 0
                while not stop.is_set():
                    reason = f"Krasch-test skrivare {n} nummer {i:05d} akut"
                    try:
                        r = c.post(
                            f"/api/v1/people/{person.id}/break-glass",
                            json={"reason": reason},
                            headers={"X-CSRF-Token": token},
                        )
                    except httpx.HTTPError:
                        return  # the server is gone: this write was never acknowledged
                    if r.status_code == 201:
                        with lock:
                            acknowledged.append(reason)
                            if len(acknowledged) >= 40:
                                enough.set()
                    i += 1

        threads = [threading.Thread(target=writer_loop, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        await asyncio.to_thread(enough.wait, 20)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
    assert len(acknowledged) >= 40, "too few writes before the kill to mean anything"
    stored = {r["reason"] for r in await BreakGlass.select(BreakGlass.reason)}
    missing = [r for r in acknowledged if r not in stored]
    assert missing == []
    result = await verify()
    assert result.ok, result.problems
    settings = get_settings()
    if not settings.is_postgres:
        conn = sqlite3.connect(settings.sqlite_path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
