"""Transfers of defector cases between units (issue 22, part 3).

About seven in ten defectors move to another town, so a case moves: its unit
offers it to another active unit of the social-services partition (another
municipality's social services or a joint defector unit) with a reason; the
receiving unit accepts it, choosing one of its caseworkers, or declines with a
reason; the sender may withdraw a pending offer. A case has one pending offer at
most (also a partial unique index, so two offers at once cannot both stand).

What each side sees. Until it accepts, the receiving unit sees what it needs to
decide (case number, sending unit, reason, dates), never the case's free text
or the person. Acceptance moves ``DefectorCase.unit`` and ``caseworker`` (and
the case's tasks) in one transaction, bumping the case's version, and
:func:`~gvi.defectors.services.common.case_scope` does the rest: the sending
unit no longer reaches the case, and in its outgoing list sees only the case
number, the receiving unit and the outcome.

The police track is recomputed on acceptance with the same rule as every other
change (:func:`~gvi.defectors.services.track.refresh_police_track`): if an
agency's consent is not in force, the track ends there, as a withdrawal ends it,
and the answer names the consent that is missing. Acceptance is not refused for
it: the person is still a social-services case, and refusing would leave the case
with a unit the person has left.

The case's home municipality never changes, so the figures count it in the
municipality and year it was opened. Every step writes a ``case:transfer``
audit row, every read of the lists a ``case:transfer:read`` row, in the same
transaction.
"""

from __future__ import annotations

from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.listing import audited_page
from gvi.db import write_transaction
from gvi.defectors.services.cases import Choice
from gvi.defectors.services.common import (
    CASEWORKER_NOT_IN_UNIT,
    CaseError,
    Conflict,
    case_scope,
    caseworker_ok,
    members,
    versioned,
    writable_case,
)
from gvi.defectors.services.track import consent_state, refresh_police_track
from gvi.defectors.tables import (
    CaseStatus,
    CaseTransfer,
    ConsentAgency,
    DefectorCase,
    TransferState,
)
from gvi.defectors.transfer_schemas import (
    TransferAcceptIn,
    TransferDeclineIn,
    TransferOfferIn,
    TransferOutcome,
    TransferView,
)
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Agency, Unit
from gvi.tasks.tables import Task

ALREADY_PENDING = N_(
    "Ärendet har redan ett erbjudande om överföring som väntar på svar. Återkalla det först "
    "eller vänta tills den mottagande enheten har svarat."
)
ALREADY_DECIDED = N_("Erbjudandet om överföring är redan besvarat eller återkallat.")
REASON_MISSING = N_("Skriv varför ärendet ska föras över.")
DECLINE_REASON_MISSING = N_("Skriv varför ni tackar nej, så att den skickande enheten vet.")
UNIT_INVALID = N_("Välj en annan aktiv enhet inom socialtjänsten.")
CLOSED_CASE = N_("Ett avslutat ärende kan inte föras över.")
CLOSED_SINCE = N_("Ärendet har avslutats sedan det erbjöds och kan inte tas emot.")
REASON_MAX = 2000

DIRECTIONS = frozenset({"incoming", "outgoing"})
STATES = frozenset(s.value for s in TransferState)

_RECEIVING_KINDS = (Unit.Kind.social_services, Unit.Kind.joint_defector_unit)

_COLUMNS = (
    CaseTransfer.id,
    CaseTransfer.version,
    CaseTransfer.case,
    CaseTransfer.from_unit,
    CaseTransfer.to_unit,
    CaseTransfer.offered_by,
    CaseTransfer.state,
    CaseTransfer.offered_at,
    CaseTransfer.decided_at,
    CaseTransfer.reason,
    CaseTransfer.decline_reason,
    CaseTransfer.case.reference.as_alias("case_reference"),
    CaseTransfer.case.person.as_alias("person"),
    CaseTransfer.from_unit.name.as_alias("from_unit_name"),
    CaseTransfer.to_unit.name.as_alias("to_unit_name"),
    CaseTransfer.offered_by.display_name.as_alias("offered_by_name"),
    CaseTransfer.decided_by.display_name.as_alias("decided_by_name"),
    CaseTransfer.caseworker_after.display_name.as_alias("caseworker_after_name"),
)


def _units(principal: Principal) -> list[int]:
    return sorted(principal.unit_ids) or [-1]


def transfer_scope(principal: Principal, direction: str = "") -> Any:
    """The transfers this user is a party to: to one of their units (incoming), or
    from one of their units or offered by them (outgoing)."""
    incoming = CaseTransfer.to_unit.is_in(_units(principal))
    outgoing = CaseTransfer.from_unit.is_in(_units(principal)) | (
        CaseTransfer.offered_by == principal.user_id
    )
    live = CaseTransfer.archived_at.is_null()
    if direction == "incoming":
        return live & incoming
    if direction == "outgoing":
        return live & outgoing & CaseTransfer.to_unit.not_in(_units(principal))
    return live & (incoming | outgoing)


async def _visible_cases(principal: Principal, case_ids: list[int]) -> set[int]:
    if not case_ids:
        return set()
    rows = await DefectorCase.select(DefectorCase.id).where(
        case_scope(principal) & DefectorCase.id.is_in(case_ids)
    )
    return {r["id"] for r in rows}


def _view(row: dict[str, Any], principal: Principal, visible: set[int]) -> TransferView:
    """The transfer as this reader may see it (module docstring: what each side sees)."""
    incoming = row["to_unit"] in principal.unit_ids
    case_visible = row["case"] in visible
    full = incoming or case_visible
    accepted = row["state"] == TransferState.accepted
    return TransferView(
        id=row["id"],
        version=row["version"],
        case_reference=row["case_reference"],
        from_unit=row["from_unit_name"],
        to_unit=row["to_unit_name"],
        state=TransferState(row["state"]),
        direction="incoming" if incoming else "outgoing",
        offered_at=row["offered_at"],
        decided_at=row["decided_at"],
        reason=row["reason"] if full else None,
        offered_by=row["offered_by_name"] if full else None,
        decline_reason=(row["decline_reason"] or None) if full else None,
        decided_by=row["decided_by_name"] if full else None,
        caseworker_after=row["caseworker_after_name"] if incoming and accepted else None,
        case_id=row["case"] if case_visible else None,
    )


async def _views(principal: Principal, rows: list[dict[str, Any]]) -> list[TransferView]:
    visible = await _visible_cases(principal, sorted({r["case"] for r in rows}))
    return [_view(r, principal, visible) for r in rows]


# --- reading -------------------------------------------------------------------------


async def list_transfers(
    principal: Principal,
    *,
    direction: str = "",
    state: str = "",
    limit: int,
    offset: int,
) -> tuple[list[TransferView], int]:
    """The transfers this user is a party to, newest first; audited as one read."""
    require(principal, Permission.cases_read)
    where = transfer_scope(principal, direction)
    if state:
        where &= CaseTransfer.state == state
    async with write_transaction(CaseTransfer._meta.db):
        rows, total = await audited_page(
            CaseTransfer.select(*_COLUMNS)
            .where(where)
            .order_by(CaseTransfer.offered_at, ascending=False)
            .order_by(CaseTransfer.id, ascending=False)
            .limit(limit)
            .offset(offset),
            CaseTransfer.count().where(where),
            action=AuditAction.case_transfer_read,
            actor=principal,
            target_type="case_transfer",
            offset=offset,
            details={"direction": direction or "all", "state": state or "all"},
        )
        return await _views(principal, rows), total


async def _transfer_row(principal: Principal, transfer_id: int, scope: Any) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await CaseTransfer.select(*_COLUMNS).where(scope & (CaseTransfer.id == transfer_id)).first()
    )
    if row is None:
        raise NotVisible()
    return row


async def get_transfer(principal: Principal, transfer_id: int) -> TransferView:
    """One transfer this user is a party to (else 404); audited."""
    require(principal, Permission.cases_read)
    async with write_transaction(CaseTransfer._meta.db):
        row = await _transfer_row(principal, transfer_id, transfer_scope(principal))
        await _audit_read(principal, row)
        return (await _views(principal, [row]))[0]


async def case_transfers(
    principal: Principal, case_id: int, *, audited: bool = True
) -> list[TransferView]:
    """The transfers of a case its reader may see (the case itself decides: 404
    otherwise), newest first; audited, unless *audited* is False: the case page,
    whose ``case:read`` row (written as it read the case) covers them."""
    require(principal, Permission.cases_read)
    async with write_transaction(CaseTransfer._meta.db):
        case = (
            await DefectorCase.select(DefectorCase.id, DefectorCase.person)
            .where(case_scope(principal) & (DefectorCase.id == case_id))
            .first()
        )
        if case is None:
            raise NotVisible()
        rows = (
            await CaseTransfer.select(*_COLUMNS)
            .where((CaseTransfer.case == case_id) & CaseTransfer.archived_at.is_null())
            .order_by(CaseTransfer.offered_at, ascending=False)
            .order_by(CaseTransfer.id, ascending=False)
        )
        if audited:
            await record(
                AuditAction.case_transfer_read,
                actor=principal,
                target_type="defector_case",
                target_id=case_id,
                person_id=case["person"],
                details={"count": len(rows)},
            )
        visible = {case_id}
        return [_view(r, principal, visible) for r in rows]


async def _audit_read(principal: Principal, row: dict[str, Any]) -> None:
    await record(
        AuditAction.case_transfer_read,
        actor=principal,
        target_type="case_transfer",
        target_id=row["id"],
        person_id=row["person"],
        details={"case_id": row["case"]},
    )


async def receiving_units(principal: Principal, case_id: int) -> list[Choice]:
    """The units a case may be offered to: every active social-services unit
    (municipal social services and joint defector units) but its own."""
    require(principal, Permission.cases_write)
    case = (
        await DefectorCase.select(DefectorCase.unit)
        .where(case_scope(principal) & (DefectorCase.id == case_id))
        .first()
    )
    if case is None:
        raise NotVisible()
    rows = await (
        Unit.select(Unit.id, Unit.name)
        .where(_receiving_unit() & (Unit.id != case["unit"]))
        .order_by(Unit.name)
    )
    return [Choice(r["id"], r["name"]) for r in rows]


def _receiving_unit() -> Any:
    return (
        (Unit.agency == Agency.social_services)
        & Unit.kind.is_in([k.value for k in _RECEIVING_KINDS])
        & (Unit.is_active == True)  # noqa: E712
        & Unit.archived_at.is_null()
    )


async def receiving_caseworkers(principal: Principal, transfer_id: int) -> list[Choice]:
    """The caseworkers an incoming offer may be accepted for: those of the receiving unit."""
    require(principal, Permission.cases_write)
    row = await _transfer_row(principal, transfer_id, transfer_scope(principal, "incoming"))
    return [Choice(m["id"], m["display_name"]) for m in await members([row["to_unit"]])]


# --- writing -------------------------------------------------------------------------


async def _audit(
    principal: Principal, case_id: int, person_id: int, op: str, row: dict[str, Any], **more: Any
) -> None:
    await record(
        AuditAction.case_transfer,
        actor=principal,
        target_type="defector_case",
        target_id=case_id,
        person_id=person_id,
        details={
            "op": op,
            "transfer_id": row["id"],
            "from_unit": row["from_unit"],
            "to_unit": row["to_unit"],
            **more,
        },
    )


async def offer_transfer(principal: Principal, case_id: int, data: TransferOfferIn) -> int:
    """Offer the case to another social-services unit; refused (400) while another
    offer of the case is pending."""
    reason = data.reason.strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = gettext(REASON_MISSING)
    elif len(reason) > REASON_MAX:
        errors["reason"] = gettext("Skälet får vara högst %(n)s tecken.") % {"n": REASON_MAX}
    async with write_transaction(CaseTransfer._meta.db):
        case = await writable_case(principal, case_id)
        if case["status"] == CaseStatus.closed:
            raise CaseError(gettext(CLOSED_CASE))
        if await CaseTransfer.exists().where(
            (CaseTransfer.case == case_id)
            & (CaseTransfer.state == TransferState.pending)
            & CaseTransfer.archived_at.is_null()
        ):
            raise CaseError(gettext(ALREADY_PENDING))
        if data.to_unit_id == case["unit"] or not await Unit.exists().where(
            _receiving_unit() & (Unit.id == data.to_unit_id)
        ):
            errors["to_unit_id"] = gettext(UNIT_INVALID)
        if errors:
            raise FormErrors(errors)
        transfer = CaseTransfer(
            case=case_id,
            from_unit=case["unit"],
            to_unit=data.to_unit_id,
            offered_by=principal.user_id,
            offered_at=clock.now(),
            reason=reason,
            state=TransferState.pending,
        )
        await transfer.save()
        await _audit(
            principal,
            case_id,
            case["person"],
            "offer",
            {"id": transfer.id, "from_unit": case["unit"], "to_unit": data.to_unit_id},
        )
    return transfer.id


async def _decide(
    transfer_id: int, state: TransferState, values: dict[Any, Any], principal: Principal
) -> None:
    """Move a pending transfer on; someone else's answer first is a conflict (409)."""
    moved = (
        await CaseTransfer.update(
            {
                CaseTransfer.state: state,
                CaseTransfer.decided_by: principal.user_id,
                CaseTransfer.decided_at: clock.now(),
                CaseTransfer.version: CaseTransfer.version + 1,
                **values,
            }
        )
        .where((CaseTransfer.id == transfer_id) & (CaseTransfer.state == TransferState.pending))
        .returning(CaseTransfer.id)
    )
    if not moved:
        raise Conflict(gettext(ALREADY_DECIDED))


def _pending(row: dict[str, Any]) -> None:
    if row["state"] != TransferState.pending:
        raise CaseError(gettext(ALREADY_DECIDED))


async def withdraw_transfer(principal: Principal, transfer_id: int) -> int:
    """The sender takes back a pending offer (the case never left it). The case id."""
    require(principal, Permission.cases_write)
    async with write_transaction(CaseTransfer._meta.db):
        row = await _transfer_row(principal, transfer_id, transfer_scope(principal, "outgoing"))
        case = await writable_case(principal, row["case"])
        _pending(row)
        await _decide(transfer_id, TransferState.withdrawn, {}, principal)
        await _audit(principal, case["id"], case["person"], "withdraw", row)
    return int(case["id"])


async def decline_transfer(principal: Principal, transfer_id: int, data: TransferDeclineIn) -> None:
    """The receiving unit says no, and why (the reason is required)."""
    require(principal, Permission.cases_write)
    reason = data.decline_reason.strip()
    async with write_transaction(CaseTransfer._meta.db):
        row = await _transfer_row(principal, transfer_id, transfer_scope(principal, "incoming"))
        _pending(row)
        if not reason:
            raise FormErrors({"decline_reason": gettext(DECLINE_REASON_MISSING)})
        if len(reason) > REASON_MAX:
            raise FormErrors(
                {
                    "decline_reason": gettext("Skälet får vara högst %(n)s tecken.")
                    % {"n": REASON_MAX}
                }
            )
        await _decide(
            transfer_id, TransferState.declined, {CaseTransfer.decline_reason: reason}, principal
        )
        await _audit(principal, row["case"], row["person"], "decline", row)


async def _missing_consents(case_id: int) -> list[str]:
    """The consents the police track needs that are not in force: the police's, and
    any agency's that was withdrawn and not given again."""
    consents = await consent_state(case_id)
    missing = [] if ConsentAgency.police in consents.in_force else [ConsentAgency.police.value]
    return missing + sorted(a for a in consents.excluded if a not in missing)


async def accept_transfer(
    principal: Principal, transfer_id: int, data: TransferAcceptIn
) -> TransferOutcome:
    """Take the case over: unit and caseworker move (the case's version goes up),
    its tasks follow, and the police track is recomputed (a consent not in force
    ends it: the outcome names it). All in one transaction."""
    require(principal, Permission.cases_write)
    async with write_transaction(CaseTransfer._meta.db):
        row = await _transfer_row(principal, transfer_id, transfer_scope(principal, "incoming"))
        _pending(row)
        if not await caseworker_ok(data.caseworker_id, row["to_unit"]):
            raise FormErrors({"caseworker_id": gettext(CASEWORKER_NOT_IN_UNIT)})
        case = (
            await DefectorCase.select(
                DefectorCase.id,
                DefectorCase.person,
                DefectorCase.unit,
                DefectorCase.caseworker,
                DefectorCase.status,
                DefectorCase.version,
            )
            .where((DefectorCase.id == row["case"]) & DefectorCase.archived_at.is_null())
            .first()
        )
        if case is None or case["unit"] != row["from_unit"]:
            raise CaseError(gettext(ALREADY_DECIDED))
        if case["status"] == CaseStatus.closed:
            raise CaseError(gettext(CLOSED_SINCE))
        await _decide(
            transfer_id,
            TransferState.accepted,
            {
                CaseTransfer.caseworker_before: case["caseworker"],
                CaseTransfer.caseworker_after: data.caseworker_id,
            },
            principal,
        )
        await versioned(
            DefectorCase,
            case["id"],
            case["version"],
            {DefectorCase.unit: row["to_unit"], DefectorCase.caseworker: data.caseworker_id},
        )
        # The case's tasks go with it (a task tied to a case is seen by its unit); the
        # open ones to the new caseworker.
        await Task.update({Task.unit: row["to_unit"]}).where(Task.defector_case == case["id"])
        await Task.update({Task.assignee: data.caseworker_id}).where(
            (Task.defector_case == case["id"]) & (Task.status == Task.Status.open)
        )
        track = await refresh_police_track(case["id"])
        missing = await _missing_consents(case["id"]) if track.police_track_ended else []
        await _audit(
            principal,
            case["id"],
            case["person"],
            "accept",
            row,
            caseworker_before=case["caseworker"],
            caseworker_after=data.caseworker_id,
            police_track=track.police_track_active,
            police_track_ended=track.police_track_ended,
            **({"missing_consents": missing} if missing else {}),
        )
    return TransferOutcome(
        case_id=case["id"],
        police_track_active=track.police_track_active,
        police_track_ended=track.police_track_ended,
        missing_consents=missing,
    )
