"""The outreach log: activities that tell people help exists (information
meetings, contacts through economic assistance, addiction care, school, police,
SiS, the web page), each with its date, channel and the number of people
reached. Never a person: a count and a short title only.

Scope: an outreach worker sees and changes the activities of the municipalities
they work for, and records them for one of their units. Every change is an
audit event with the operation and the field names only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from msgspec import UNSET

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.clock import today
from gvi.core.failures import FormErrors, NotVisible, VersionConflict
from gvi.core.versioning import bump_version
from gvi.db import write_transaction
from gvi.i18n import N_, gettext
from gvi.outreach.schemas import ActivityIn, ActivityUpdateIn, ActivityView
from gvi.outreach.tables import Channel, OutreachActivity

ACTIVITY_CONFLICT = N_(
    "Någon annan har ändrat aktiviteten under tiden. Ladda om sidan och försök igen."
)
TITLE_MAX = 120
REACHED_MAX = 100_000

_COLUMNS = (
    OutreachActivity.id,
    OutreachActivity.unit,
    OutreachActivity.unit.name.as_alias("unit_name"),
    OutreachActivity.municipality,
    OutreachActivity.municipality.name.as_alias("municipality_name"),
    OutreachActivity.held_on,
    OutreachActivity.channel,
    OutreachActivity.people_reached,
    OutreachActivity.title,
    OutreachActivity.recorded_by.display_name.as_alias("by_name"),
    OutreachActivity.version,
)


def _scope(principal: Principal) -> Any:
    """The WHERE of every activity query: live rows of the reader's municipalities."""
    return OutreachActivity.archived_at.is_null() & OutreachActivity.municipality.is_in(
        list(principal.municipality_ids) or [-1]
    )


def _view(row: dict[str, Any]) -> ActivityView:
    return ActivityView(
        id=row["id"],
        unit_id=row["unit"],
        unit=row["unit_name"],
        municipality_id=row["municipality"],
        municipality=row["municipality_name"],
        held_on=row["held_on"],
        channel=row["channel"],
        people_reached=row["people_reached"],
        title=row["title"],
        recorded_by=row["by_name"],
        version=row["version"],
    )


async def list_activities(
    principal: Principal,
    *,
    channel: str = "",
    year: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ActivityView], int]:
    require(principal, Permission.outreach_read)
    where = _scope(principal)
    if channel in Channel.__members__:
        where = where & (OutreachActivity.channel == channel)
    if year is not None and 1900 <= year <= 9999:
        where = (
            where
            & (OutreachActivity.held_on >= date(year, 1, 1))
            & (OutreachActivity.held_on <= date(year, 12, 31))
        )
    rows = (
        await OutreachActivity.select(*_COLUMNS)
        .where(where)
        .order_by(OutreachActivity.held_on, ascending=False)
        .order_by(OutreachActivity.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await OutreachActivity.count().where(where)
    return [_view(r) for r in rows], total


async def get_activity(principal: Principal, activity_id: int) -> ActivityView:
    require(principal, Permission.outreach_read)
    row = (
        await OutreachActivity.select(*_COLUMNS)
        .where(_scope(principal) & (OutreachActivity.id == activity_id))
        .first()
    )
    if row is None:
        raise NotVisible()
    return _view(row)


def _check(
    principal: Principal,
    errors: dict[str, str],
    *,
    municipality_id: int | None = None,
    people_reached: int | None = None,
    title: str | None = None,
    held_on: Any = UNSET,
) -> None:
    if municipality_id is not None and municipality_id not in principal.municipality_ids:
        errors["municipality_id"] = gettext("Välj en av de kommuner du arbetar för.")
    if people_reached is not None and not 0 <= people_reached <= REACHED_MAX:
        errors["people_reached"] = gettext(
            "Ange hur många som nåddes, ett heltal från 0 till 100 000."
        )
    if title is not None and len(title) > TITLE_MAX:
        errors["title"] = gettext("Rubriken får vara högst 120 tecken.")
    if held_on is not UNSET and held_on is not None and held_on > today():
        errors["held_on"] = gettext("Datumet kan inte ligga i framtiden.")


async def _audit(principal: Principal, activity_id: int, op: str, **details: Any) -> None:
    await record(
        AuditAction.outreach_write,
        actor=principal,
        target_type="outreach_activity",
        target_id=activity_id,
        details={"op": op, **details},
    )


async def create_activity(principal: Principal, data: ActivityIn) -> int:
    require(principal, Permission.outreach_write)
    errors: dict[str, str] = {}
    title = " ".join(data.title.split())
    if data.unit_id not in principal.unit_ids:
        errors["unit_id"] = gettext("Välj en av dina enheter.")
    _check(
        principal,
        errors,
        municipality_id=data.municipality_id,
        people_reached=data.people_reached,
        title=title,
        held_on=data.held_on,
    )
    if errors:
        raise FormErrors(errors)
    async with write_transaction(OutreachActivity._meta.db):
        activity = OutreachActivity(
            unit=data.unit_id,
            municipality=data.municipality_id,
            held_on=data.held_on or today(),
            channel=data.channel,
            people_reached=data.people_reached,
            title=title,
            recorded_by=principal.user_id,
        )
        await activity.save()
        await _audit(principal, activity.id, "create", channel=data.channel.value)
    return activity.id


async def _writable(principal: Principal, activity_id: int) -> None:
    require(principal, Permission.outreach_write)
    found = await OutreachActivity.exists().where(
        _scope(principal) & (OutreachActivity.id == activity_id)
    )
    if not found:
        raise NotVisible()


async def update_activity(principal: Principal, activity_id: int, data: ActivityUpdateIn) -> None:
    """Correct an activity (optimistic lock on ``version``)."""
    errors: dict[str, str] = {}
    title = " ".join(data.title.split()) if data.title is not UNSET else None
    _check(
        principal,
        errors,
        municipality_id=data.municipality_id if data.municipality_id is not UNSET else None,
        people_reached=data.people_reached if data.people_reached is not UNSET else None,
        title=title,
        held_on=data.held_on,
    )
    if data.held_on is None:
        errors["held_on"] = gettext("Ange datumet.")
    async with write_transaction(OutreachActivity._meta.db):
        await _writable(principal, activity_id)
        if errors:
            raise FormErrors(errors)
        values: dict[Any, Any] = {}
        if data.municipality_id is not UNSET:
            values[OutreachActivity.municipality] = data.municipality_id
        if data.channel is not UNSET:
            values[OutreachActivity.channel] = data.channel
        if data.people_reached is not UNSET:
            values[OutreachActivity.people_reached] = data.people_reached
        if data.held_on is not UNSET:
            values[OutreachActivity.held_on] = data.held_on
        if title is not None:
            values[OutreachActivity.title] = title
        if not await bump_version(
            OutreachActivity, activity_id, data.version, values, live_only=True
        ):
            raise VersionConflict(gettext(ACTIVITY_CONFLICT))
        await _audit(principal, activity_id, "update", fields=sorted(c._meta.name for c in values))


async def archive_activity(principal: Principal, activity_id: int, version: int) -> None:
    """Take an activity out of the log and the figures (the row stays, archived)."""
    async with write_transaction(OutreachActivity._meta.db):
        await _writable(principal, activity_id)
        if not await bump_version(
            OutreachActivity,
            activity_id,
            version,
            {OutreachActivity.archived_at: datetime.now(tz=UTC)},
            live_only=True,
        ):
            raise VersionConflict(gettext(ACTIVITY_CONFLICT))
        await _audit(principal, activity_id, "archive")
