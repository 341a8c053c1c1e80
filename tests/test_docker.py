"""The container setup, checked by reading it: docker/Dockerfile, docker/compose.yaml
and the top-level .dockerignore.

Docker is not needed. These catch what otherwise only shows at deploy time: a
misspelt ``GVI_*`` name, a production setting left out, an app started before
its database, a secret written into a file, a root process.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gvi.settings import ENV_VARS

REPO = Path(__file__).resolve().parent.parent
DOCKER_DIR = REPO / "docker"
DOCKERFILE_PATH = DOCKER_DIR / "Dockerfile"
COMPOSE_PATH = DOCKER_DIR / "compose.yaml"

COMPOSE_TEXT = COMPOSE_PATH.read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)  # resolves the `<<: *app` merges
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
DOCKERFILE_TEXT = DOCKERFILE_PATH.read_text(encoding="utf-8")

# Without these a production instance cannot start, or starts insecurely.
PRODUCTION_REQUIRED = (
    "GVI_ENV",
    "GVI_DATABASE_URL",
    "GVI_REDIS_URL",
    "GVI_DATA_KEY",
    "GVI_SECRET_KEY",
    "GVI_ALLOWED_HOSTS",
    "GVI_AUDIT_KEY",
    "GVI_AUDIT_SIGNING_KEY",
    "GVI_TRUSTED_PROXIES",
)

# Settings that compose deliberately does not set. Every other name in ENV_VARS
# must appear in each app service's environment, so a new setting is a
# decision: add it to compose, or add it here with the reason.
NOT_IN_COMPOSE = {
    "GVI_SQLITE_BUSY_TIMEOUT_MS": "SQLite only; compose runs PostgreSQL",
    "GVI_DATA_KEY_FILE": "development only: `gvi serve` in production wants GVI_DATA_KEY",
    "GVI_VAR_DIR": "fixed by the image (ENV in the Dockerfile) to the volume's mount point",
    "GVI_TEST_NOW": "test only: ignored unless GVI_ENV=test, and compose runs production",
    "GVI_AUDIT_KEY_FILE": "development only: `gvi serve` in production wants GVI_AUDIT_KEY",
    "GVI_AUDIT_SIGNING_KEY_FILE": "development only: production wants GVI_AUDIT_SIGNING_KEY",
    "GVI_TEST_JOB_HOOK": "test only: ignored unless GVI_ENV=test, and compose runs production",
}

# Values that are secrets: they must come from the deploy environment, required.
SECRET_VARIABLES = ("GVI_DATA_KEY", "GVI_SECRET_KEY", "GVI_AUDIT_KEY", "GVI_AUDIT_SIGNING_KEY")

CONTAINER_TMP = "/tmp"  # noqa: S108 - a path inside the container; nothing here writes to it

_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")


# --- helpers ------------------------------------------------------------------


def _with_defaults(value: str) -> str:
    """A compose value as it reads when only the `${NAME:-default}` defaults apply."""

    def replace(match: re.Match[str]) -> str:
        op = match["op"] or ""
        return match["arg"] if op.endswith("-") else "<" + match["name"] + ">"

    return _INTERPOLATION.sub(replace, value)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def _builds_our_image(service: dict[str, Any]) -> bool:
    build = service.get("build")
    if not isinstance(build, dict):
        return False
    context = COMPOSE_PATH.parent / build.get("context", ".")
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    return bool(dockerfile.resolve() == DOCKERFILE_PATH)


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


# Services that serve the web app: our image with its default command (`serve`).
APP_SERVERS = sorted(
    name
    for name, svc in SERVICES.items()
    if _builds_our_image(svc) and _command(svc)[:1] in ([], ["serve"])
)
# Services that run the background jobs: our image with `worker`.
WORKERS = sorted(
    name
    for name, svc in SERVICES.items()
    if _builds_our_image(svc) and _command(svc)[:1] == ["worker"]
)
MIGRATORS = sorted(
    name
    for name, svc in SERVICES.items()
    if _builds_our_image(svc) and _command(svc) == ["migrate"]
)


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: continuations joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE_TEXT.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    return instructions


INSTRUCTIONS = _dockerfile_instructions()


def _final_stage() -> list[tuple[str, str]]:
    last_from = max(i for i, (keyword, _) in enumerate(INSTRUCTIONS) if keyword == "FROM")
    return INSTRUCTIONS[last_from:]


def _env_assignments(stage: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for keyword, args in stage:
        if keyword in {"ENV", "ARG"}:
            for token in shlex.split(args):
                name, _, value = token.partition("=")
                values[name] = value
    return values


def _exec_form(args: str) -> list[str]:
    """A JSON-array instruction argument; fails the test if it is the shell form."""
    parsed = json.loads(args)
    assert isinstance(parsed, list), f"not exec (JSON) form: {args}"
    return [str(part) for part in parsed]


# --- compose: names and production settings ---------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [("docker/compose.yaml", COMPOSE_TEXT), ("docker/Dockerfile", DOCKERFILE_TEXT)],
)
def test_every_gvi_name_mentioned_is_a_real_setting(path: str, text: str) -> None:
    mentioned = set(re.findall(r"\bGVI_[A-Z0-9_]+", text))
    unknown = mentioned - set(ENV_VARS)
    assert not unknown, f"{path} names settings gvi.settings.ENV_VARS does not know: {unknown}"


def test_exemptions_name_real_settings() -> None:
    assert set(NOT_IN_COMPOSE) <= set(ENV_VARS), "an exemption names a setting that is gone"
    assert not set(NOT_IN_COMPOSE) & set(PRODUCTION_REQUIRED)


def test_there_are_app_services_and_a_migration_step() -> None:
    assert "app" in APP_SERVERS
    # The design promises several instances side by side; compose shows it.
    assert len(APP_SERVERS) >= 2, f"only one app instance: {APP_SERVERS}"
    assert MIGRATORS == ["migrate"]


@pytest.mark.parametrize("name", APP_SERVERS)
def test_app_sets_every_setting_production_needs(name: str) -> None:
    env = _environment(SERVICES[name])
    missing = [var for var in PRODUCTION_REQUIRED if not env.get(var)]
    assert not missing, f"{name} leaves unset: {missing}"
    assert env["GVI_ENV"] == "production"
    assert env["GVI_SECURE_COOKIES"].lower() == "true"


@pytest.mark.parametrize("name", APP_SERVERS + WORKERS + MIGRATORS)
def test_every_setting_is_in_compose_or_exempt_with_a_reason(name: str) -> None:
    env = _environment(SERVICES[name])
    expected = set(ENV_VARS) - set(NOT_IN_COMPOSE)
    assert not expected - set(env), (
        f"{name} does not set {sorted(expected - set(env))}: add them to docker/compose.yaml "
        "or to NOT_IN_COMPOSE in this test with the reason"
    )


@pytest.mark.parametrize("name", APP_SERVERS + MIGRATORS)
def test_secrets_come_from_the_environment_and_are_required(name: str) -> None:
    env = _environment(SERVICES[name])
    for var in SECRET_VARIABLES:
        match = _INTERPOLATION.fullmatch(env[var])
        assert match, f"{name}: {var} is written into compose instead of taken from the environment"
        assert match["op"] == ":?", f"{name}: {var} must be required (${{{var}:?...}}), no default"
    for var in ("GVI_DATABASE_URL", "GVI_REDIS_URL"):
        password = urlsplit(env[var]).password
        if password is not None:
            assert _INTERPOLATION.fullmatch(password), f"{name}: {var} has a literal password"


@pytest.mark.parametrize("name", APP_SERVERS + MIGRATORS)
def test_database_and_redis_urls_point_at_compose_services(name: str) -> None:
    env = _environment(SERVICES[name])
    database = urlsplit(_with_defaults(env["GVI_DATABASE_URL"]))
    redis = urlsplit(_with_defaults(env["GVI_REDIS_URL"]))
    assert database.scheme in {"postgres", "postgresql"}
    assert database.hostname == "db"
    assert redis.scheme == "redis"
    assert redis.hostname == "redis"


def test_database_password_is_required_not_written_down() -> None:
    password = _environment(SERVICES["db"])["POSTGRES_PASSWORD"]
    match = _INTERPOLATION.fullmatch(password)
    assert match
    assert match["op"] == ":?"


# --- compose: start order, health, persistence, exposure, hardening ----------


@pytest.mark.parametrize("name", APP_SERVERS)
def test_app_waits_for_healthy_db_and_redis_and_for_migrations(name: str) -> None:
    depends = SERVICES[name].get("depends_on")
    assert isinstance(depends, dict), f"{name}: depends_on needs conditions, not a list"
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_a_worker_service_runs_the_jobs_and_the_app_instances_start_none() -> None:
    assert WORKERS == ["worker"]
    worker = SERVICES["worker"]
    assert _command(worker)[:2] == ["worker", "--processes"]
    assert worker["restart"] == "unless-stopped"
    depends = worker["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy"
    env = _environment(worker)
    # The queue is Redis (GVI_JOB_QUEUE empty falls back to GVI_REDIS_URL), shared by all.
    assert _with_defaults(env["GVI_JOB_QUEUE"]) == ""
    assert env["GVI_REDIS_URL"].startswith("redis://")
    # No HTTP in a worker: the image's /healthz probe would never pass.
    assert worker["healthcheck"] == {"disable": True}
    assert "frontend" not in worker.get("networks", [])
    for name in APP_SERVERS:
        assert _environment(SERVICES[name])["GVI_EMBEDDED_WORKER"] == "false"


def test_migrations_wait_for_a_healthy_db_and_run_once() -> None:
    migrate = SERVICES["migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"


@pytest.mark.parametrize("name", ["db", "redis"])
def test_backing_services_have_healthchecks(name: str) -> None:
    check = SERVICES[name].get("healthcheck") or {}
    assert check.get("test"), f"{name} has no healthcheck, so service_healthy never comes"
    assert not check.get("disable")


@pytest.mark.parametrize("name", APP_SERVERS)
def test_app_has_a_healthcheck_on_healthz(name: str) -> None:
    check = SERVICES[name].get("healthcheck") or {}
    assert not check.get("disable")
    assert "/healthz" in " ".join(str(part) for part in check.get("test", []))


def test_data_survives_restarts_on_named_volumes() -> None:
    volumes = set(COMPOSE.get("volumes") or {})

    def mounts(name: str) -> dict[str, str]:
        pairs = (v.split(":")[:2] for v in SERVICES[name].get("volumes", []))
        return {target: source for source, target in pairs}

    assert mounts("db")["/var/lib/postgresql/data"] in volumes
    assert mounts("redis")["/data"] in volumes
    # Sessions live in Redis: they must survive a Redis restart.
    command = _command(SERVICES["redis"])
    assert command[command.index("--appendonly") + 1] == "yes"


def test_only_app_services_publish_ports_and_on_loopback_by_default() -> None:
    host_ports = []
    for name, service in SERVICES.items():
        ports = service.get("ports") or []
        if name not in APP_SERVERS:
            assert not ports, f"{name} publishes ports; only the app is reachable from the host"
            continue
        assert ports, f"{name} publishes no port"
        for port in ports:
            assert isinstance(port, str), f"{name}: use the short HOST_IP:HOST_PORT:8000 syntax"
            host_ip, host_port, container_port = _with_defaults(port).split(":")
            assert host_ip == "127.0.0.1", f"{name} binds {host_ip}; a reverse proxy fronts it"
            assert container_port == "8000"
            host_ports.append(host_port)
    assert len(host_ports) == len(set(host_ports)), "two app instances on one host port"


@pytest.mark.parametrize("name", APP_SERVERS)
def test_forwarded_headers_are_trusted_from_the_frontend_network_only(name: str) -> None:
    # Behind the proxy the peer is the frontend network's gateway: uvicorn must
    # trust exactly that network, or every client shares one IP (rate limits, audit).
    trusted = _with_defaults(_environment(SERVICES[name])["GVI_TRUSTED_PROXIES"])
    subnets = [
        _with_defaults(entry["subnet"])
        for entry in COMPOSE["networks"]["frontend"]["ipam"]["config"]
    ]
    assert trusted != "*"
    assert trusted.split(",") == subnets
    assert "frontend" in SERVICES[name]["networks"]


@pytest.mark.parametrize("name", APP_SERVERS + WORKERS + MIGRATORS)
def test_app_containers_are_locked_down(name: str) -> None:
    service = SERVICES[name]
    assert service.get("read_only") is True
    assert any(str(t).split(":")[0] == CONTAINER_TMP for t in service.get("tmpfs", []))
    assert "ALL" in service.get("cap_drop", [])
    assert "no-new-privileges:true" in service.get("security_opt", [])
    assert "user" not in service or str(service["user"]).split(":")[0] not in {"0", "root"}


def test_var_volume_is_where_the_image_puts_gvi_var_dir() -> None:
    final = _final_stage()
    var_dir = _env_assignments(final)["GVI_VAR_DIR"]
    declared = [arg for keyword, arg in final if keyword == "VOLUME"]
    assert any(var_dir in arg for arg in declared), "GVI_VAR_DIR is not a VOLUME"
    for name in APP_SERVERS + MIGRATORS:
        targets = [v.split(":")[1] for v in SERVICES[name].get("volumes", [])]
        assert var_dir in targets, f"{name} does not mount a volume at {var_dir}"


# --- Dockerfile ---------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_a_pinned_slim_base() -> None:
    bases = [args.split()[0] for keyword, args in INSTRUCTIONS if keyword == "FROM"]
    assert len(bases) >= 2, "the build toolchain must not end up in the runtime image"
    for base in bases:
        tag = base.partition(":")[2]
        assert tag, f"{base} is not pinned to a tag"
        assert tag != "latest"
    assert bases[-1] == "python:3.11-slim-bookworm"


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in _final_stage() if keyword == "USER"]
    assert users, "the runtime stage never leaves root"
    user = users[-1].split(":")[0]
    assert user not in {"0", "root"}


def test_dockerfile_fetches_nothing_with_add() -> None:
    for keyword, args in INSTRUCTIONS:
        if keyword == "ADD":
            assert not re.search(r"\b(https?|git)://|git@", args), f"ADD of a remote source: {args}"


def test_dockerfile_bakes_in_no_secret() -> None:
    names = set(_env_assignments(INSTRUCTIONS))
    secretish = {n for n in names if re.search(r"PASSWORD|SECRET|TOKEN|_KEY$", n)}
    assert not secretish, f"secrets belong to the runtime environment, not the image: {secretish}"


def test_dockerfile_runtime_basics() -> None:
    final = _final_stage()
    env = _env_assignments(final)
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert ("EXPOSE", "8000") in final
    assert ("WORKDIR", "/app") in final
    healthchecks = [args for keyword, args in final if keyword == "HEALTHCHECK"]
    assert healthchecks, "no HEALTHCHECK"
    probe = _exec_form(healthchecks[-1].split(" CMD ", 1)[1])
    assert "/healthz" in " ".join(probe)
    entrypoint = [args for keyword, args in final if keyword == "ENTRYPOINT"]
    cmd = [args for keyword, args in final if keyword == "CMD"]
    assert _exec_form(entrypoint[-1]) == ["gvi"]
    assert _exec_form(cmd[-1])[0] == "serve"


def _copies(stage: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(where from: a stage name or "context", source path) for every COPY/ADD."""
    copies: list[tuple[str, str]] = []
    for keyword, args in stage:
        if keyword not in {"COPY", "ADD"}:
            continue
        tokens = args.split()
        flags = dict(t[2:].partition("=")[::2] for t in tokens if t.startswith("--"))
        *sources, _destination = [t for t in tokens if not t.startswith("--")]
        copies.extend((flags.get("from", "context"), s.rstrip("/")) for s in sources)
    return copies


def test_runtime_image_holds_only_the_venv_and_the_app_files() -> None:
    assert sorted(_copies(_final_stage())) == [
        ("builder", "/opt/venv"),
        ("context", "gvi"),
        ("context", "seeds"),
        ("context", "templates"),
    ]


def test_everything_copied_from_the_context_exists_and_passes_dockerignore() -> None:
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    # An allow-list: whatever else lands in the checkout (.env, var/ with keys
    # and the database, .git) can never reach the build context.
    assert rules[0] == "*"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    for origin, source in _copies(INSTRUCTIONS):
        if origin != "context":
            continue
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
        assert source in allowed, f"COPY {source}: excluded by .dockerignore"
