"""Individual follow-ups of a case: the situation before, during and after."""

from __future__ import annotations

from gvi.access.principal import Principal
from gvi.core.failures import FormErrors
from gvi.db import write_transaction
from gvi.defectors import transitions
from gvi.defectors.schemas import FollowUpIn
from gvi.defectors.services.common import audit_write, not_future, writable_case
from gvi.defectors.tables import CaseFollowUp, DefectorCase
from gvi.i18n import gettext


async def add_follow_up(principal: Principal, case_id: int, data: FollowUpIn) -> int:
    """An individual follow-up: the situation before, during or after."""
    errors: dict[str, str] = {}
    on = not_future(data.follow_up_on, "follow_up_on", errors)
    if data.months_since_start is not None and not 0 <= data.months_since_start <= 600:
        errors["months_since_start"] = gettext("Skriv antal hela månader, till exempel 6.")
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        if "follow_up_on" not in errors and on < case["opened_on"]:
            errors["follow_up_on"] = gettext("Uppföljningen kan inte ligga före ärendets start.")
        if errors:
            raise FormErrors(errors)
        months = (
            data.months_since_start
            if data.months_since_start is not None
            else transitions.months_between(case["opened_on"], on)
        )
        follow_up = CaseFollowUp(
            case=case_id,
            phase=data.phase,
            follow_up_on=on,
            months_since_start=months,
            housing=data.housing,
            occupation=data.occupation,
            criminality=data.criminality,
            substance_use=data.substance_use,
            safety=data.safety,
            notes=data.notes.strip(),
        )
        await follow_up.save()
        await audit_write(principal, case, "follow_up_add", follow_up_id=follow_up.id)
    return follow_up.id


# --- disclosures ---------------------------------------------------------------------


# How long a disclosure may last, per legal ground. The law sets no number; a year is
