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
    "GVI_PUBLIC_HOST": (
        "",
        "the installation's host name (calendar-feed addresses and event UIDs); "
        "default: the first of GVI_ALLOWED_HOSTS",
    ),
    "GVI_API_RATE_LIMIT": (
        "120",
        "requests per minute per API token (and per calendar feed); more get 429",
    ),
    "GVI_SECURE_COOKIES": ("true", "false only for local plain http; drops Secure and __Host-"),
    "GVI_SESSION_IDLE_MINUTES": ("30", "a session ends after this long without a request"),
    "GVI_SESSION_MAX_HOURS": ("10", "a session ends this long after login, whatever happens"),
    "GVI_LOG_LEVEL": ("INFO", "application log level; logs never carry personal data"),
    "GVI_SMTP_HOST": ("", "mail server for the daily digest (`gvi send-digest`); empty: no digest"),
    "GVI_SMTP_PORT": ("25", "mail server port"),
    "GVI_SMTP_USER": ("", "mail server login; empty: none"),
    "GVI_SMTP_PASSWORD": ("", "mail server password"),
    "GVI_SMTP_FROM": ("gvi@localhost", "sender address of the digest"),
    "GVI_SMTP_STARTTLS": (
        "true",
        "upgrade the mail connection with STARTTLS (false only on loopback)",
    ),
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
    # Sign-in through the organisation's identity provider (gvi/oidc/, README "OIDC").
    "GVI_OIDC_ISSUER": ("", "OpenID Connect issuer URL; empty: no sign-in via a provider"),
    "GVI_OIDC_CLIENT_ID": ("", "the client id registered at the provider"),
    "GVI_OIDC_CLIENT_SECRET": ("", "the client secret (confidential client)"),
    "GVI_OIDC_SCOPES": ("openid profile email", "scopes asked for; openid is always included"),
    "GVI_OIDC_ACCOUNT_CLAIM": (
        "preferred_username",
        "the ID-token claim naming the local account at first sign-in (preferred_username, "
        "upn, email)",
    ),
    "GVI_OIDC_TWO_FACTOR_ACR": (
        "",
        "comma-separated acr values that mean two factors (the local TOTP step is skipped)",
    ),
    "GVI_OIDC_TWO_FACTOR_AMR": (
        "mfa",
        "comma-separated amr values that mean two factors (Entra ID: mfa)",
    ),
    "GVI_OIDC_NAME": ("organisationens konto", "shown on the button: Logga in med <name>"),
    "GVI_OIDC_REDIRECT_URI": (
        "",
        "the callback registered at the provider; empty: <this site>/login/oidc/callback",
    ),
    "GVI_OIDC_POST_LOGOUT_REDIRECT_URI": (
        "",
        "where the provider sends the browser after sign-out; empty: <this site>/login",
    ),
    "GVI_PASSWORD_LOGIN": (
        "true",
        "false: only the break-glass account (GVI_BREAK_GLASS_ACCOUNT) may use the password form",
    ),
    "GVI_BREAK_GLASS_ACCOUNT": (
        "",
        "the administrator account that may sign in with a password when GVI_PASSWORD_LOGIN=false",
    ),
    # Background work (gvi/jobs/, README "Background work").
    "GVI_JOB_QUEUE": (
        "",
        "the job queue: empty = the SQLite file <var>/job-queue.sqlite3, or Redis when "
        "GVI_REDIS_URL is set; redis://host:port/db for another Redis",
    ),
    "GVI_EMBEDDED_WORKER": (
        "true",
        "`gvi serve` starts one `gvi worker` beside it; false when workers run on their own",
    ),
    "GVI_ANALYSIS_PROCESSES": (
        "0",
        "child processes a national person betweenness is shared among; 0 = one per CPU "
        "(at most 4), 1 = none",
    ),
    "GVI_JOB_MAX_ATTEMPTS": ("3", "a job whose worker died this many times is marked failed"),
    "GVI_JOB_STALE_SECONDS": (
        "20",
        "a running job without a heartbeat for this long is given to another worker",
    ),
    "GVI_TEST_JOB_HOOK": (
        "",
        "test only (ignored unless GVI_ENV=test): sleep:SECONDS or crash, run by every job first",
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
    public_host: str = ""
    api_rate_limit: int = 120
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
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: tuple[str, ...] = ("openid", "profile", "email")
    oidc_account_claim: str = "preferred_username"
    oidc_two_factor_acr: tuple[str, ...] = ()
    oidc_two_factor_amr: tuple[str, ...] = ("mfa",)
    oidc_name: str = "organisationens konto"
    oidc_redirect_uri: str = ""
    oidc_post_logout_redirect_uri: str = ""
    password_login: bool = True
    break_glass_account: str = ""
    job_queue: str = ""
    embedded_worker: bool = True
    job_max_attempts: int = 3
    analysis_processes: int = 1
    job_stale_seconds: float = 20.0
    test_job_hook: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "gvi@localhost"
    smtp_starttls: bool = True

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def host_name(self) -> str:
        """The installation's host name: GVI_PUBLIC_HOST, else the first allowed host."""
        if self.public_host:
            return self.public_host
        named = [h for h in self.allowed_hosts if "*" not in h]
        return named[0] if named else "localhost"

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
            public_host=_env("GVI_PUBLIC_HOST").strip().lower(),
            api_rate_limit=max(1, int(_env("GVI_API_RATE_LIMIT"))),
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
            oidc_issuer=_env("GVI_OIDC_ISSUER").rstrip("/"),
            oidc_client_id=_env("GVI_OIDC_CLIENT_ID"),
            oidc_client_secret=_env("GVI_OIDC_CLIENT_SECRET"),
            oidc_scopes=tuple(dict.fromkeys(("openid", *_env("GVI_OIDC_SCOPES").split()))),
            oidc_account_claim=_env("GVI_OIDC_ACCOUNT_CLAIM").strip(),
            oidc_two_factor_acr=_list(_env("GVI_OIDC_TWO_FACTOR_ACR")),
            oidc_two_factor_amr=_list(_env("GVI_OIDC_TWO_FACTOR_AMR")),
            oidc_name=_env("GVI_OIDC_NAME"),
            oidc_redirect_uri=_env("GVI_OIDC_REDIRECT_URI"),
            oidc_post_logout_redirect_uri=_env("GVI_OIDC_POST_LOGOUT_REDIRECT_URI"),
            password_login=_bool(_env("GVI_PASSWORD_LOGIN")),
            break_glass_account=_env("GVI_BREAK_GLASS_ACCOUNT").strip().lower(),
            job_queue=_env("GVI_JOB_QUEUE"),
            embedded_worker=_bool(_env("GVI_EMBEDDED_WORKER")),
            job_max_attempts=max(1, int(_env("GVI_JOB_MAX_ATTEMPTS"))),
            analysis_processes=int(_env("GVI_ANALYSIS_PROCESSES")) or min(4, os.cpu_count() or 1),
            job_stale_seconds=max(1.0, float(_env("GVI_JOB_STALE_SECONDS"))),
            test_job_hook=_env("GVI_TEST_JOB_HOOK") if _env("GVI_ENV") == "test" else "",
            smtp_host=_env("GVI_SMTP_HOST").strip(),
            smtp_port=int(_env("GVI_SMTP_PORT")),
            smtp_user=_env("GVI_SMTP_USER"),
            smtp_password=_env("GVI_SMTP_PASSWORD"),
            smtp_from=_env("GVI_SMTP_FROM").strip(),
            smtp_starttls=_bool(_env("GVI_SMTP_STARTTLS")),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
