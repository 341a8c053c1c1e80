"""Liveness and readiness: ``/healthz`` (the process answers) and ``/readyz``
(the database answers and every shipped migration is applied)."""

from __future__ import annotations

import logging

from litestar import get
from litestar.response import Response

from gvi.access.permissions import Permission
from gvi.core.migrate import pending_migrations
from gvi.piccolo_app import TABLES

log = logging.getLogger(__name__)


@get(
    "/healthz",
    opt={"permission": Permission.public},
    name="health.live",
    include_in_schema=False,
    sync_to_thread=False,
)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", opt={"permission": Permission.public}, name="health.ready", include_in_schema=False)
async def readyz() -> Response[dict[str, str]]:
    try:
        await TABLES[0]._meta.db.run_ddl("SELECT 1")
        pending = await pending_migrations()
    except Exception as exc:  # the point is to answer 503 whatever broke
        log.warning("readiness check failed: %s", type(exc).__name__)
        return Response({"status": "database unreachable"}, status_code=503)
    if pending:
        return Response(
            {"status": f"{len(pending)} migration(s) not applied: run `gvi migrate`"},
            status_code=503,
        )
    return Response({"status": "ready"})
