"""Dated claims: what memberships and relations share.

Memberships and relations are claims, evidence rather than fact: each carries
its source, confidence, validity (valid from/to), a review date and a version.
A claim is visible when at least one end is in the user's scope (a person of the
user's municipality in a group elsewhere, a rivalry across the border) and can
be written only when both ends are. Changes name the version they read; history
is archived, never deleted; every write records its audit event in the same
transaction.

:class:`DatedClaims` holds that logic once; :mod:`.memberships` and
:mod:`.relations` say only what differs (their ends, their own fields and
checks, their audit details).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Generic, TypeVar

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import FormErrors, NotVisible, VersionConflict
from gvi.core.versioning import versioned_update
from gvi.db import write_transaction
from gvi.groups import forms
from gvi.groups.forms import form_message
from gvi.groups.services.scope import as_date, check_text, engine, full, ids, merge
from gvi.i18n import gettext

V = TypeVar("V")

DATE_FIELDS = ("valid_from", "valid_to", "review_by")
# The claim's own columns every kind has, in the order they are checked.
CLAIM_FIELDS = ("confidence", "valid_from", "valid_to", "review_by", "source")


def as_of(table: Any, day: date) -> Any:
    """Valid on *day* (both ends inclusive)."""
    return (table.valid_from.is_null() | (table.valid_from <= day)) & (
        table.valid_to.is_null() | (table.valid_to >= day)
    )


def claim_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The view fields every claim has, from a selected row."""
    return {
        "confidence": row["confidence"],
        "valid_from": as_date(row["valid_from"]),
        "valid_to": as_date(row["valid_to"]),
        "review_by": as_date(row["review_by"]),
        "version": row["version"],
    }


def check_claim(values: Mapping[str, Any], errors: dict[str, str]) -> str:
    """Confidence, the order of the dates and the source's length; the cleaned source."""
    if values["confidence"] not in forms.CONFIDENCE_LABELS:
        errors.setdefault("confidence", form_message("confidence"))
    valid_from, valid_to = values["valid_from"], values["valid_to"]
    if valid_from and valid_to and valid_to < valid_from:
        errors.setdefault("valid_to", form_message("dates_order"))
    return check_text(values["source"], "source", errors)


def check_new_review_date(review_by: date | None) -> date:
    if review_by is None or review_by <= clock.today():
        raise FormErrors({"review_by": gettext("Ange ett nytt granskningsdatum efter i dag.")})
    return review_by


def check_end_date(valid_from: date | None, valid_to: date | None) -> date:
    end = valid_to or clock.today()
    if valid_from and end < valid_from:
        raise FormErrors({"valid_to": form_message("dates_order")})
    return end


class DatedClaims(Generic[V]):
    """The reads and writes of one kind of claim; subclasses fill in the blanks."""

    table: Any
    permission: Permission  # to write
    action: AuditAction  # of a write
    target_type: str
    conflict: str  # N_ message for a version conflict
    ends: tuple[str, ...]  # the two foreign keys, fixed once the claim exists
    own_fields: tuple[str, ...]  # the kind's own columns, checked before the common ones
    back_end: str  # the end a page goes back to after archiving

    # --- to be filled in -------------------------------------------------------------

    def places(self) -> tuple[Any, Any]:
        """The municipality columns of the two ends."""
        raise NotImplementedError

    def columns(self, full: bool) -> list[Any]:
        raise NotImplementedError

    def order(self, query: Any) -> Any:
        raise NotImplementedError

    def view(self, row: dict[str, Any], principal: Principal, full: bool) -> V:
        raise NotImplementedError

    def event_details(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """What the audit event says about the claim's ends (ids only)."""
        raise NotImplementedError

    def event_person(self, row: Mapping[str, Any]) -> int | None:
        return None

    def check_own(self, values: Mapping[str, Any], errors: dict[str, str]) -> None:
        raise NotImplementedError

    async def check_ends(
        self, principal: Principal, draft: Any, errors: dict[str, str]
    ) -> dict[str, Any] | None:
        """The ends' ids by column name, or None (with errors) when one is not usable."""
        raise NotImplementedError

    # --- scope ------------------------------------------------------------------------

    def _live(self) -> Any:
        first, second = (getattr(self.table, end) for end in self.ends)
        return (
            self.table.archived_at.is_null()
            & first.archived_at.is_null()
            & second.archived_at.is_null()
        )

    def visible(self, principal: Principal) -> Any:
        """At least one end in the user's scope."""
        scope, (a, b) = ids(principal), self.places()
        return self._live() & (a.is_in(scope) | b.is_in(scope))

    def writable(self, principal: Principal) -> Any:
        """Both ends in the user's scope."""
        scope, (a, b) = ids(principal), self.places()
        return self._live() & a.is_in(scope) & b.is_in(scope)

    # --- reading ----------------------------------------------------------------------

    async def select(
        self,
        principal: Principal,
        where: Any,
        *,
        as_of_day: date | None,
        limit: int | None,
        offset: int = 0,
        writable_only: bool = False,
        order: Any = None,
    ) -> tuple[list[V], int]:
        is_full = full(principal)
        scope = self.writable(principal) if writable_only else self.visible(principal)
        condition = scope & where
        if as_of_day is not None:
            condition = condition & as_of(self.table, as_of_day)
        query = self.table.select(*self.columns(is_full)).where(condition)
        query = query.order_by(order) if order is not None else self.order(query)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        rows = await query
        total = len(rows) if limit is None else await self.table.count().where(condition)
        return [self.view(r, principal, is_full) for r in rows], total

    async def due(
        self, principal: Principal, where: Any, *, limit: int, offset: int
    ) -> tuple[list[V], int]:
        """Claims past their review date that the user could act on, oldest first."""
        return await self.select(
            principal,
            (self.table.review_by < clock.today()) & where,
            as_of_day=None,
            limit=limit,
            offset=offset,
            writable_only=True,
            order=self.table.review_by,
        )

    async def one(self, principal: Principal, claim_id: int) -> V:
        rows, _ = await self.select(
            principal, self.table.id == claim_id, as_of_day=None, limit=None
        )
        if not rows:
            raise NotVisible()
        return rows[0]

    # --- writing ----------------------------------------------------------------------

    async def _for_write(self, principal: Principal, claim_id: int, version: int) -> dict[str, Any]:
        names = ("id", *self.ends, *self.own_fields, *CLAIM_FIELDS, "version")
        row: dict[str, Any] | None = (
            await self.table.select(*(getattr(self.table, n) for n in names))
            .where(self.writable(principal) & (self.table.id == claim_id))
            .first()
        )
        if row is None:
            raise NotVisible()
        if row["version"] != version:
            raise VersionConflict(gettext(self.conflict))
        for key in DATE_FIELDS:
            row[key] = as_date(row[key])
        return row

    async def _event(
        self, principal: Principal, row: Mapping[str, Any], op: str, version: int | None
    ) -> None:
        details = {"op": op, **self.event_details(row)}
        if version is not None:
            details["version"] = version
        await record(
            self.action,
            actor=principal,
            target_type=self.target_type,
            target_id=row["id"],
            person_id=self.event_person(row),
            details=details,
        )

    async def _write(
        self, principal: Principal, current: Mapping[str, Any], version: int, op: str, **values: Any
    ) -> None:
        columns = {getattr(self.table, name): value for name, value in values.items()}
        await versioned_update(
            self.table,
            current["id"],
            version,
            columns,
            live_only=True,
            conflict=gettext(self.conflict),
        )
        await self._event(principal, current, op, version + 1)

    def _checked(self, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
        self.check_own(values, errors)
        values["source"] = check_claim(values, errors)
        if errors:
            raise FormErrors(errors)
        return values

    async def create(
        self, principal: Principal, draft: Any, *, known_errors: dict[str, str] | None = None
    ) -> V:
        require(principal, self.permission)
        errors = dict(known_errors or {})
        async with write_transaction(engine()):
            ends = await self.check_ends(principal, draft, errors)
            fields = {n: getattr(draft, n) for n in (*self.own_fields, *CLAIM_FIELDS)}
            values = self._checked(fields, errors)
            if ends is None:
                raise FormErrors(errors)
            row = self.table(**ends, **values, recorded_by=principal.user_id)
            await row.save()
            await self._event(principal, {"id": row.id, **ends}, "create", None)
            created, _ = await self.select(
                principal, self.table.id == row.id, as_of_day=None, limit=None
            )
        return created[0]

    async def update(
        self,
        principal: Principal,
        claim_id: int,
        version: int,
        changes: Any,
        *,
        known_errors: dict[str, str] | None = None,
    ) -> None:
        """The claim itself; its ends are fixed (another pair is another claim)."""
        require(principal, self.permission)
        errors = dict(known_errors or {})
        async with write_transaction(engine()):
            current = await self._for_write(principal, claim_id, version)
            merged = {
                n: merge(getattr(changes, n), current[n]) for n in (*self.own_fields, *CLAIM_FIELDS)
            }
            values = self._checked(merged, errors)
            await self._write(principal, current, version, "update", **values)

    async def archive(self, principal: Principal, claim_id: int, version: int) -> int:
        """Archive a claim entered in error (ending a true one is :meth:`end`).
        Returns the id of the end to go back to."""
        require(principal, self.permission)
        async with write_transaction(engine()):
            current = await self._for_write(principal, claim_id, version)
            await self._write(principal, current, version, "archive", archived_at=clock.now())
        return int(current[self.back_end])

    async def confirm(
        self, principal: Principal, claim_id: int, version: int, review_by: date | None
    ) -> None:
        """The claim still holds: review it again on *review_by*."""
        require(principal, self.permission)
        new_date = check_new_review_date(review_by)
        async with write_transaction(engine()):
            current = await self._for_write(principal, claim_id, version)
            await self._write(principal, current, version, "confirm", review_by=new_date)

    async def end(
        self, principal: Principal, claim_id: int, version: int, valid_to: date | None
    ) -> None:
        """The claim no longer holds from *valid_to* (today if None); ended claims need
        no review."""
        require(principal, self.permission)
        async with write_transaction(engine()):
            current = await self._for_write(principal, claim_id, version)
            end = check_end_date(current["valid_from"], valid_to)
            await self._write(principal, current, version, "end", valid_to=end, review_by=None)
