"""A case's needs (housing, psychiatric, addiction, debt, …) and when each was met."""

from __future__ import annotations

from datetime import date

from gvi.access.principal import Principal
from gvi.core.failures import FormErrors, NotVisible
from gvi.db import write_transaction
from gvi.defectors.schemas import NeedIn
from gvi.defectors.services.common import (
    CaseError,
    audit_write,
    not_future,
    versioned,
    writable_case,
)
from gvi.defectors.tables import CaseNeed, DefectorCase
from gvi.i18n import gettext


async def add_need(principal: Principal, case_id: int, data: NeedIn) -> int:
    errors: dict[str, str] = {}
    assessed_on = not_future(data.assessed_on, "assessed_on", errors)
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        if await CaseNeed.exists().where(
            (CaseNeed.case == case_id)
            & (CaseNeed.need == data.need)
            & CaseNeed.met_on.is_null()
            & CaseNeed.archived_at.is_null()
        ):
            errors["need"] = gettext("Behovet finns redan och är inte tillgodosett.")
        if errors:
            raise FormErrors(errors)
        need = CaseNeed(case=case_id, need=data.need, assessed_on=assessed_on)
        await need.save()
        await audit_write(principal, case, "need_add", need=data.need.value)
    return need.id


async def mark_need_met(
    principal: Principal, case_id: int, need_id: int, met_on: date | None
) -> None:
    errors: dict[str, str] = {}
    when = not_future(met_on, "met_on", errors)
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        need = (
            await CaseNeed.select(
                CaseNeed.need, CaseNeed.assessed_on, CaseNeed.met_on, CaseNeed.version
            )
            .where(
                (CaseNeed.id == need_id)
                & (CaseNeed.case == case_id)
                & CaseNeed.archived_at.is_null()
            )
            .first()
        )
        if need is None:
            raise NotVisible()
        if need["met_on"] is not None:
            raise CaseError(gettext("Behovet är redan markerat som tillgodosett."))
        if "met_on" not in errors and when < need["assessed_on"]:
            errors["met_on"] = gettext("Datumet kan inte ligga före bedömningen av behovet.")
        if errors:
            raise FormErrors(errors)
        await versioned(CaseNeed, need_id, need["version"], {CaseNeed.met_on: when})
        await audit_write(principal, case, "need_met", need_id=need_id)
