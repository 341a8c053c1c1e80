"""All configuration, read once from ``GVI_*`` environment variables.

This is the only module that reads the environment; everything else receives a
:class:`Settings`. The README's configuration table mirrors ``ENV_VARS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Name → (default, description). The README table and the docker compose test read this.
ENV_VARS: dict[str, tuple[str, str]] = {
    "GVI_ENV": (
        "development",
        "development, test or production; production refuses demo secrets; "
        "development re-reads edited templates",
    ),
    "GVI_DATABASE_URL": (
        "sqlite:///var/gvi.sqlite3",
        "sqlite:///path or postgres://user:pass@host:port/db",
    ),
    "GVI_DB_POOL_MIN": ("2", "PostgreSQL pool: minimum connections per instance"),
    "GVI_DB_POOL_MAX": (
        "10",
        "Connection pool: maximum connections per instance (SQLite: at most 4; 0: no pool)",
    ),
    "GVI_SQLITE_BUSY_TIMEOUT_MS": ("5000", "SQLite: how long a writer waits for the lock"),
    "GVI_REDIS_URL": ("", "redis://host:port/db; sessions and rate limits go to Redis when set"),
    "GVI_VAR_DIR": ("var", "where the embedded database, key files and session files live"),
    "GVI_DATA_KEY": ("", "base64 data-encryption key(s) for identities; else GVI_DATA_KEY_FILE"),
    "GVI_DATA_KEY_FILE": ("", "file holding the data key(s); default <var>/data.key"),
    "GVI_SECRET_KEY": (
        "",
        "keys the login-throttle counters (HMAC); locally <var>/secret.key is created",
    ),
    "GVI_HOST": ("127.0.0.1", "address `gvi serve` binds"),
    "GVI_PORT": ("8000", "port `gvi serve` binds"),
    "GVI_ALLOWED_HOSTS": ("127.0.0.1,localhost", "comma-separated host names the app answers to"),
    "GVI_SECURE_COOKIES": ("true", "false only for local plain http; drops Secure and __Host-"),
    "GVI_SESSION_IDLE_MINUTES": ("30", "a session ends after this long without a request"),
    "GVI_SESSION_MAX_HOURS": ("10", "a session ends this long after login, whatever happens"),
    "GVI_LOG_LEVEL": ("INFO", "application log level; logs never carry personal data"),
    "GVI_TEST_NOW": (
        "",
        "test only (ignored unless GVI_ENV=test): the clock's ISO moment, for browser tests",
    ),
    "GVI_TRUSTED_PROXIES": (
        "",
        "comma-separated proxy IPs/CIDRs whose X-Forwarded-For/-Proto `gvi serve` believes; "
        "empty: none (the client address is the socket's)",
    ),
    "GVI_AUDIT_KEY": (
        "",
        "audit-chain HMAC key(s), id:base64[,id:base64...], first is active; "
        "else GVI_AUDIT_KEY_FILE",
    ),
    "GVI_AUDIT_KEY_FILE": ("", "file holding the audit key(s); default <var>/audit.key"),
    "GVI_AUDIT_SIGNING_KEY": (
        "",
        "Ed25519 key that signs audit checkpoints, id:base64 (32-byte seed); "
        "else GVI_AUDIT_SIGNING_KEY_FILE",
    ),
    "GVI_AUDIT_SIGNING_KEY_FILE": (
        "",
        "file holding the checkpoint signing key; default <var>/audit-signing.key",
    ),
    "GVI_AUDIT_CHECKPOINT_FILE": (
        "",
        "JSON-lines file the signed checkpoints go to; default <var>/audit-checkpoints.jsonl",
    ),
    "GVI_AUDIT_CHECKPOINT_SYSLOG": (
        "",
        "also send each checkpoint to syslog: /dev/log, or host:port (UDP); empty: file only",
    ),
    "GVI_AUDIT_CHECKPOINT_EVERY": ("1000", "a checkpoint at least every this many audit events"),
    "GVI_AUDIT_CHECKPOINT_MINUTES": (
        "5",
        "a checkpoint at least this often while events arrive; verify reports older gaps",
    ),
}


def _env(name: str) -> str:
    return os.environ.get(name, ENV_VARS[name][0])


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _path(value: str) -> Path | None:
    return Path(value) if value else None


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = "sqlite:///var/gvi.sqlite3"
    db_pool_min: int = 2
    db_pool_max: int = 10
    sqlite_busy_timeout_ms: int = 5000
    redis_url: str = ""
    var_dir: Path = field(default_factory=lambda: ROOT / "var")
    data_key: str = ""
    data_key_file: Path | None = None
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    secure_cookies: bool = True
    session_idle_minutes: int = 30
    session_max_hours: int = 10
    log_level: str = "INFO"
    test_now: str = ""
    trusted_proxies: tuple[str, ...] = ()
    audit_key: str = ""
    audit_key_file: Path | None = None
    audit_signing_key: str = ""
    audit_signing_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_syslog: str = ""
    audit_checkpoint_every: int = 1000
    audit_checkpoint_minutes: int = 5

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file; relative paths are taken from the project root."""
        raw = self.database_url.removeprefix("sqlite:///")
        path = Path(raw)
        return path if path.is_absolute() else ROOT / path

    @classmethod
    def from_env(cls) -> Settings:
        var_dir = Path(_env("GVI_VAR_DIR"))
        if not var_dir.is_absolute():
            var_dir = ROOT / var_dir
        key_file = _env("GVI_DATA_KEY_FILE")
        database_url = _env("GVI_DATABASE_URL")
        if not database_url.startswith(("sqlite:///", "postgres://", "postgresql://")):
            raise ValueError(
                "GVI_DATABASE_URL must start with sqlite:/// or postgres:// "
                f"(got a value starting with {database_url[:10]!r})"
            )
        return cls(
            env=_env("GVI_ENV"),
            database_url=database_url,
            db_pool_min=int(_env("GVI_DB_POOL_MIN")),
            db_pool_max=int(_env("GVI_DB_POOL_MAX")),
            sqlite_busy_timeout_ms=int(_env("GVI_SQLITE_BUSY_TIMEOUT_MS")),
            redis_url=_env("GVI_REDIS_URL"),
            var_dir=var_dir,
            data_key=_env("GVI_DATA_KEY"),
            data_key_file=Path(key_file) if key_file else None,
            secret_key=_env("GVI_SECRET_KEY"),
            host=_env("GVI_HOST"),
            port=int(_env("GVI_PORT")),
            allowed_hosts=_list(_env("GVI_ALLOWED_HOSTS")),
            secure_cookies=_bool(_env("GVI_SECURE_COOKIES")),
            session_idle_minutes=int(_env("GVI_SESSION_IDLE_MINUTES")),
            session_max_hours=int(_env("GVI_SESSION_MAX_HOURS")),
            log_level=_env("GVI_LOG_LEVEL"),
            test_now=_env("GVI_TEST_NOW") if _env("GVI_ENV") == "test" else "",
            trusted_proxies=_list(_env("GVI_TRUSTED_PROXIES")),
            audit_key=_env("GVI_AUDIT_KEY"),
            audit_key_file=_path(_env("GVI_AUDIT_KEY_FILE")),
            audit_signing_key=_env("GVI_AUDIT_SIGNING_KEY"),
            audit_signing_key_file=_path(_env("GVI_AUDIT_SIGNING_KEY_FILE")),
            audit_checkpoint_file=_path(_env("GVI_AUDIT_CHECKPOINT_FILE")),
            audit_checkpoint_syslog=_env("GVI_AUDIT_CHECKPOINT_SYSLOG"),
            audit_checkpoint_every=max(1, int(_env("GVI_AUDIT_CHECKPOINT_EVERY"))),
            audit_checkpoint_minutes=max(1, int(_env("GVI_AUDIT_CHECKPOINT_MINUTES"))),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
