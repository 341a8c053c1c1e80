"""Who is asking: the principal of a request, loaded from its session in one query
(the user, their role, their active units and the municipalities those serve,
plus explicit grants), audited when it fails."""

from __future__ import annotations

import json
from typing import Any

from litestar.connection import ASGIConnection
from piccolo.engine.postgres import PostgresEngine

from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User, UserKind, UserMunicipality, UserUnit
from gvi.core.web import client_ip, user_agent
from gvi.db import pg_fetch
from gvi.municipalities.tables import Unit, UnitMunicipality
from gvi.security.sessions import get_session

# A second factor must follow the password within this many seconds.


def _principal_sql(engine_type: str) -> str:
    """The account, its scope and its further units (a joint defector unit) as one
    row: a user of all 290 municipalities got 290 rows, each repeating the
    account, which cost more than the query (``make bench``).

    The scope is the municipalities served by the user's home unit and joint
    units (active ones only) plus those granted explicitly."""
    # Table names come from the table classes; the user id is a parameter.
    grants = " ".join(
        ("SELECT municipality AS m FROM", UserMunicipality._meta.tablename, 'WHERE "user" = u.id')
    )
    served = " ".join(
        (
            "SELECT um.municipality AS m FROM",
            UnitMunicipality._meta.tablename,
            "um JOIN",
            Unit._meta.tablename,
            "n ON n.id = um.unit WHERE n.is_active AND n.archived_at IS NULL",
            "AND (um.unit = u.unit OR um.unit IN (SELECT unit FROM",
            UserUnit._meta.tablename,
            'WHERE "user" = u.id))',
        )
    )
    # The units whose cases the user works with: home and joint units, active ones
    # only, so a deactivated unit's cases leave its members' view with its scope.
    active_units = " ".join(
        (
            "SELECT n.id FROM",
            Unit._meta.tablename,
            "n WHERE n.is_active AND n.archived_at IS NULL",
            "AND (n.id = u.unit OR n.id IN (SELECT unit FROM",
            UserUnit._meta.tablename,
            'WHERE "user" = u.id))',
        )
    )
    if engine_type == "postgres":
        municipalities = f"ARRAY({grants} UNION {served})"
        units = f"ARRAY({active_units})"
    else:
        municipalities = f"(SELECT json_group_array(m) FROM ({grants} UNION {served}))"  # noqa: S608
        units = f"(SELECT json_group_array(id) FROM ({active_units}))"  # noqa: S608
    return (
        "SELECT u.id, u.username, u.role, u.kind, u.unit, u.is_active, u.archived_at, "  # noqa: S608
        f"u.session_epoch, u.unit_lead, {municipalities} AS municipalities, {units} AS units "
        f"FROM {User._meta.tablename} u WHERE u.id = {{}}"
    )  # table and column names from the table classes; the id is a parameter


_PRINCIPAL_SQL = {engine: _principal_sql(engine) for engine in ("postgres", "sqlite")}


_PG_PRINCIPAL_SQL = _PRINCIPAL_SQL["postgres"].replace("{}", "$1")


def _ids(value: list[int] | str | None) -> frozenset[int]:
    """An id list as the engine returns it: an array, or SQLite's JSON text."""
    if isinstance(value, str):
        value = json.loads(value)
    return frozenset(int(i) for i in value or ())


async def current_account(user_id: int) -> dict[str, Any] | None:
    """The account as it stands now (role, kind, unit, scope as id lists), or None
    if it is disabled or archived: what a session or an API token acts with."""
    # One query, one row, on every request (on PostgreSQL past Piccolo, whose
    # query building cost a third of the query).
    engine = User._meta.db
    if isinstance(engine, PostgresEngine):
        rows: list[Any] = await pg_fetch(engine, _PG_PRINCIPAL_SQL, user_id)
    else:
        rows = await User.raw(_PRINCIPAL_SQL[engine.engine_type], user_id)
    user: dict[str, Any] | None = dict(rows[0]) if rows else None
    if user is None or not user["is_active"] or user["archived_at"] is not None:
        return None
    user["municipality_ids"] = _ids(user["municipalities"])
    user["unit_ids"] = _ids(user["units"])
    return user


async def load_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The signed-in user for this request, or None. A disabled, archived or
    epoch-bumped account ends the session here, on its next request."""
    session = get_session(connection)
    user_id = session.get("user_id")
    if not user_id:
        return None
    user = await current_account(user_id)
    if (
        user is None
        or user["session_epoch"] != session.get("epoch")
        # A service account has no pages, whatever its password field holds.
        or user["kind"] != UserKind.person
    ):
        session.clear()
        return None
    return account_principal(user, ip=client_ip(connection), user_agent=user_agent(connection))


def account_principal(account: dict[str, Any], *, ip: str = "", user_agent: str = "") -> Principal:
    """The principal of an account as :func:`current_account` returns it."""
    return Principal(
        user_id=account["id"],
        username=account["username"],
        role=Role(account["role"]),
        unit_id=account["unit"],
        municipality_ids=account["municipality_ids"],
        unit_ids=account["unit_ids"],
        unit_lead=bool(account.get("unit_lead")),
        ip=ip,
        user_agent=user_agent,
    )
