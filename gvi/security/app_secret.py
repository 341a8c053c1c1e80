"""The application secret (``GVI_SECRET_KEY``): keys the HMAC that names
login-throttle counters, so a store key cannot be matched to a username.
Locally, a random one is created under ``var/`` on first use."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache

from gvi.settings import get_settings


@lru_cache(maxsize=1)
def app_secret() -> bytes:
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key.encode()
    if settings.is_production:
        raise RuntimeError("GVI_SECRET_KEY must be set in production")
    path = settings.var_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()
