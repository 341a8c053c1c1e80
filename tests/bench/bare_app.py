"""The baseline of the /healthz figure: a bare Litestar app with one endpoint that
returns the same body as ours, served by uvicorn exactly as ours is."""

from __future__ import annotations

from litestar import Litestar, get


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar([healthz])
