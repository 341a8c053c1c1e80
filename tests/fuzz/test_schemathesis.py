"""Schemathesis against the app's own OpenAPI schema, signed in as each role.

A real server (uvicorn, as in production) runs against the test database, seeded
with the role × route matrix's world (tests/access/test_matrix.py) so generated
calls reach real rows: each path id is one of those rows half of the time, and
id fields in bodies likewise. Each role signs in (password, TOTP) and fuzzes
every operation its permissions allow with valid and invalid data (schemathesis'
positive and negative modes), unsafe methods included, sending the CSRF header
and Origin a script on the site sends; operations it may not use get one call,
which must be refused with the documented 404. Every answer must

* not be a server error (status >= 500), and
* conform to the schema: a documented status code, a documented content type and
  a body of the documented shape.

Each role fuzzes twice: signed in (session cookie, CSRF header) and with an API
token of that role's account carrying all its permissions and municipalities
(``Authorization: Bearer``, no cookie, no CSRF header). Token management is for
sessions only, so a bearer request there is probed for its 404.

Forbidden answers 404 like missing, by design: gvi/core/openapi.py documents
that (and 401/403/409) on every operation. The test fails if the schema lists no
operations or a role got no 2xx answer, so it cannot pass by reaching nothing.
Generation is derandomized (same calls every run). The world lives for the
module and the database is emptied afterwards, as the ``db`` fixture leaves it.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.access.test_matrix import ROLES, World, _build_world, _target_id
from tests.clients import PASSWORD, csrf_from, fresh_code
from tests.servers import running_app

SCHEMA_PATH = "/api/v1/schema/openapi.json"
# Generated calls per operation and role that may use it, valid and invalid data
# mixed: about 1,900 calls per engine in all, ~90 s with the world's set-up.
EXAMPLES = int(os.environ.get("GVI_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CREDENTIAL_HEADERS = ("authorization", "x-csrf-token")
SESSION_COOKIES = ("gvi", "__Host-gvi")
# The matrix's targets: where real ids for path parameters come from.
TARGETS = ("own", "other_municipality", "other_partition", "protected", "missing")


@pytest.fixture(scope="module")
async def world(migrated: None) -> AsyncIterator[World]:
    """The matrix's world, once for the module; the database is emptied
    afterwards (as the ``db`` fixture leaves it), after the server is gone."""
    from piccolo.engine import engine_finder

    from tests.database import empty_database

    engine: Any = engine_finder()
    try:
        if engine.engine_type == "postgres":
            # Thousands of inserts: a connection per query would take a minute.
            await engine.start_connection_pool(min_size=1, max_size=2)
            try:
                built = await _build_world()
            finally:
                await engine.close_connection_pool()
        else:
            built = await _build_world()
        yield built
    finally:
        await empty_database()


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    # The server has its own event loop, so it keeps a pool as in production; a
    # connection per query would make the fuzz crawl. The per-token rate limit
    # has its own test (tests/tokens); here it must not cut the fuzz short.
    with running_app({"GVI_API_RATE_LIMIT": "1000000"}) as base:
        yield base


@pytest.fixture(scope="module")
async def bearer_tokens(world: World) -> dict[str, str]:
    """An API token per role: the account's every permission and municipality."""
    from gvi.access.loading import current_account
    from gvi.access.principal import Principal
    from gvi.accounts.tables import Role, User
    from gvi.tokens import services

    out: dict[str, str] = {}
    for role in ROLES:
        user = await User.select(User.id).where(User.username == f"m-{role}").first()
        assert user is not None
        account = await current_account(user["id"])
        assert account is not None
        owner = Principal(user_id=account["id"], username=account["username"], role=Role(role))
        new = await services.create_token(
            owner,
            owner_id=account["id"],
            name="fuzz",
            permissions=[p.value for p in services.grantable_permissions(role)],
            municipality_ids=sorted(account["municipality_ids"]),
            days=1,
        )
        out[role] = new.secret
    return out


def _bearer(token: str) -> requests.Session:
    s = requests.Session()
    s.headers.update({"Authorization": f"Bearer {token}"})
    return s


def _login(base: str, username: str, secret: str | None) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=10)
    r = s.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 303, r.text
    if r.headers["location"] == "/login/totp":  # every role but the analyst's
        assert secret
        page = s.get(f"{base}/login/totp", timeout=10)
        r = s.post(
            f"{base}/login/totp",
            data={"code": fresh_code(secret), "csrf_token": csrf_from(page.text)},
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 303, r.text
    assert r.headers["location"] == "/"
    token = csrf_from(s.get(f"{base}/", timeout=10).text)
    # What a script on the site sends with every unsafe request.
    s.headers.update({"X-CSRF-Token": token, "Origin": base})
    return s


@dataclass
class Tally:
    calls: int = 0
    call_time: float = 0.0
    ok: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def _known_ids(world: World, path: str) -> dict[str, list[int]]:
    """Real ids for each path parameter, one per matrix target."""
    template = re.sub(r"\{(\w+)\}", r"{\1:int}", path)
    out: dict[str, list[int]] = {}
    for target in TARGETS:
        for name, value in _target_id(world, template, target).items():
            out.setdefault(name, []).append(value)
    return out


def _record(operation: Any, case: Any, response: Any, tally: Tally) -> None:
    tally.calls += 1
    tally.by_status[response.status_code] = tally.by_status.get(response.status_code, 0) + 1
    if 200 <= response.status_code < 300:
        tally.ok += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        mode = case.meta.generation.mode.value if case.meta is not None else "explicit"
        for failure in group.exceptions:
            key = f"{operation.label} [{mode}]: {failure.title}"
            message = "\n".join(failure.message.splitlines()[:4])
            tally.failures.setdefault(key, f"{message}\n{case.as_curl_command()}")


def _fuzz_operation(
    operation: Any,
    session: requests.Session,
    base: str,
    ids: dict[str, list[int]],
    body_ids: dict[str, list[int]],
    tally: Tally,
) -> None:
    """EXAMPLES generated calls, valid and invalid data mixed."""
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @seed(20261122)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        for name, values in ids.items():
            if data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(values))
        if isinstance(case.body, dict):
            for name, values in body_ids.items():
                if name in case.body and data.draw(st.booleans()):
                    case.body[name] = data.draw(st.sampled_from(values))
            if "version" in case.body and data.draw(st.booleans()):
                case.body["version"] = data.draw(st.integers(0, 3))
        # The schema's security schemes make schemathesis generate credentials
        # (a random cookie, CSRF header or bearer token) that would replace the
        # role's own: the run is about the role's answers, so they go.
        for name in CREDENTIAL_HEADERS:
            for key in [k for k in (case.headers or {}) if k.lower() == name]:
                del case.headers[key]
        for key in [k for k in (case.cookies or {}) if k in SESSION_COOKIES]:
            del case.cookies[key]
        t0 = time.monotonic()
        response = case.call(base_url=base, session=session, timeout=30)
        tally.call_time += time.monotonic() - t0
        _record(operation, case, response, tally)

    run()


def _probe_operation(
    operation: Any,
    session: requests.Session,
    base: str,
    ids: dict[str, list[int]],
    tally: Tally,
) -> None:
    """One call to an operation the role may not use: the guard answers before
    any handler code runs, so one call shows the (documented) 404."""
    has_body = operation.method.upper() not in ("GET", "HEAD", "OPTIONS")
    case = operation.Case(
        path_parameters={name: values[0] for name, values in ids.items()},
        body={} if has_body else NOT_SET,
        media_type="application/json" if has_body else None,
    )
    t0 = time.monotonic()
    response = case.call(base_url=base, session=session, timeout=30)
    tally.call_time += time.monotonic() - t0
    _record(operation, case, response, tally)
    if response.status_code != 404:
        tally.failures[f"{operation.label}: not refused"] = str(response.status_code)


@functools.cache
def _route_permissions() -> dict[tuple[str, str], Any]:
    from gvi.access.guards import route_permission
    from gvi.app import create_app

    return {
        (route.path_format, method): route_permission(handler)
        for route in create_app().routes
        for handler in getattr(route, "route_handlers", [])
        for method in handler.http_methods
    }


@functools.cache
def _session_only() -> set[tuple[str, str]]:
    from gvi.app import create_app
    from gvi.tokens.bearer import SESSION_ONLY

    return {
        (route.path_format, method)
        for route in create_app().routes
        for handler in getattr(route, "route_handlers", [])
        for method in handler.http_methods
        if handler.opt.get(SESSION_ONLY)
    }


def _allowed_operations(role: str, auth: str = "session") -> set[tuple[str, str]]:
    """(path, method) of the operations whose permission the role has, from the
    app's own route table; with a bearer token, not those for sessions only."""
    from gvi.access.permissions import has_permission

    allowed = {
        key
        for key, permission in _route_permissions().items()
        if permission is not None and has_permission(role, permission)
    }
    return allowed - _session_only() if auth == "bearer" else allowed


@dataclass
class Fuzzing:
    world: World
    sessions: dict[str, requests.Session]
    bearers: dict[str, requests.Session]
    raw_schema: dict[str, Any]
    operations: list[Any]
    path_ids: dict[str, dict[str, list[int]]]
    body_ids: dict[str, list[int]]


@pytest.fixture(scope="module")
def fuzzing(world: World, server: str, bearer_tokens: dict[str, str]) -> Fuzzing:
    """Every role signed in before any fuzzing (so an admin who disables an
    account while fuzzing cannot stop a later sign-in), and the schema as the
    server serves it."""
    sessions = {role: _login(server, f"m-{role}", world.secrets[role]) for role in ROLES}
    raw = sessions["analyst"].get(f"{server}{SCHEMA_PATH}", timeout=30)
    assert raw.status_code == 200
    raw_schema = raw.json()
    schema = schemathesis.openapi.from_dict(raw_schema)
    operations = [r.ok() for r in schema.get_all_operations()]
    # Body fields that name rows get the ids of the path parameter of that name.
    path_ids = {op.path: _known_ids(world, op.path) for op in operations}
    body_ids: dict[str, list[int]] = {}
    for found in path_ids.values():
        for name, values in found.items():
            body_ids.setdefault(name, values)
    body_ids["to_user_id"] = [world.police_id]
    if world.groups is not None:
        body_ids["municipality_id"] = [world.groups.own_municipality]
    bearers = {role: _bearer(bearer_tokens[role]) for role in ROLES}
    return Fuzzing(world, sessions, bearers, raw_schema, operations, path_ids, body_ids)


def test_schema_lists_the_api(fuzzing: Fuzzing) -> None:
    paths = {op.path for op in fuzzing.operations}
    assert len(fuzzing.operations) > 100, "the schema lists (almost) no operations"
    assert "/api/v1/groups/{group_id}" in paths
    assert not any(p.startswith("/api/v1/schema") for p in paths)
    assert all(p.startswith("/api/v1/") for p in paths), "pages leaked into the API schema"
    # The guard's answers are documented everywhere: 404 also stands for forbidden.
    for path, item in fuzzing.raw_schema["paths"].items():
        for method, operation in item.items():
            documented = set(operation["responses"])
            assert {"400", "401", "404"} <= documented, (method, path)
            if method != "get":
                assert {"403", "409"} <= documented, (method, path)


# The admin goes last: disabling accounts is among the admin's operations. Each
# role's token goes before its session, whose fuzz may revoke its own tokens.
RUNS = [
    (role, auth)
    for role in sorted(ROLES, key=lambda r: r == "admin")
    for auth in ("bearer", "session")
]


@pytest.mark.parametrize(("role", "auth"), RUNS)
def test_fuzz_api_as_role(fuzzing: Fuzzing, server: str, role: str, auth: str) -> None:
    session = (fuzzing.bearers if auth == "bearer" else fuzzing.sessions)[role]
    operations = fuzzing.operations
    per_op_ids = fuzzing.path_ids
    body_ids = fuzzing.body_ids
    allowed = _allowed_operations(role, auth)
    assert operations, "the schema lists no operations"
    tally = Tally()
    started = time.monotonic()
    fuzzed = 0
    for op in operations:
        if (op.path, op.method.upper()) in allowed:
            fuzzed += 1
            _fuzz_operation(op, session, server, per_op_ids[op.path], body_ids, tally)
        else:
            _probe_operation(op, session, server, per_op_ids[op.path], tally)
    elapsed = time.monotonic() - started
    print(
        f"\n{role} ({auth}): {fuzzed} of {len(operations)} operations fuzzed, {tally.calls} calls, "
        f"{tally.ok} 2xx, {elapsed:.1f} s ({tally.call_time:.1f} s in calls), "
        f"statuses {sorted(tally.by_status.items())}"
    )
    assert fuzzed > 0, f"the schema lists no operation {role} may use"
    assert not tally.failures, f"{len(tally.failures)} failures:\n\n" + "\n\n".join(
        f"{k}\n{v}" for k, v in tally.failures.items()
    )
    assert tally.ok > 0, f"{role} got no successful answer: the fuzz reached nothing"
