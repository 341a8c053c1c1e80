"""Reading a provider's control: the particular requirements of its agreements and
its deviations (avvikelser), and how many deviations are still open, for every
place a provider can be chosen. The writes are in :mod:`.providers`, beside the
checks; none of this holds person data."""

from __future__ import annotations

from collections.abc import Iterable

from gvi.support.schemas import ProviderDeviationView, ProviderRequirementView
from gvi.support.tables import ProviderDeviation, ProviderRequirement


async def open_deviation_counts(provider_ids: Iterable[int]) -> dict[int, int]:
    """Deviations not yet closed, per provider (providers without any are left out)."""
    ids = list(provider_ids)
    if not ids:
        return {}
    rows = await ProviderDeviation.select(ProviderDeviation.provider).where(
        ProviderDeviation.provider.is_in(ids)
        & ProviderDeviation.archived_at.is_null()
        & ProviderDeviation.closed_on.is_null()
    )
    out: dict[int, int] = {}
    for r in rows:
        out[r["provider"]] = out.get(r["provider"], 0) + 1
    return out


async def requirements_of(provider_id: int) -> list[ProviderRequirementView]:
    rows = (
        await ProviderRequirement.select(
            ProviderRequirement.id,
            ProviderRequirement.agreement,
            ProviderRequirement.requirement,
            ProviderRequirement.valid_from,
            ProviderRequirement.valid_to,
        )
        .where(
            (ProviderRequirement.provider == provider_id)
            & ProviderRequirement.archived_at.is_null()
        )
        .order_by(ProviderRequirement.agreement)
        .order_by(ProviderRequirement.id)
    )
    return [
        ProviderRequirementView(
            id=r["id"],
            agreement=r["agreement"],
            requirement=r["requirement"],
            valid_from=r["valid_from"],
            valid_to=r["valid_to"],
        )
        for r in rows
    ]


async def deviations_of(provider_id: int) -> list[ProviderDeviationView]:
    """The provider's deviations, open ones first, then the latest."""
    rows = (
        await ProviderDeviation.select(
            ProviderDeviation.id,
            ProviderDeviation.reported_on,
            ProviderDeviation.severity,
            ProviderDeviation.description,
            ProviderDeviation.measures,
            ProviderDeviation.closed_on,
            ProviderDeviation.reported_by.display_name.as_alias("by_name"),
            ProviderDeviation.version,
        )
        .where(
            (ProviderDeviation.provider == provider_id) & ProviderDeviation.archived_at.is_null()
        )
        .order_by(ProviderDeviation.reported_on, ascending=False)
        .order_by(ProviderDeviation.id, ascending=False)
    )
    views = [
        ProviderDeviationView(
            id=r["id"],
            reported_on=r["reported_on"],
            severity=r["severity"],
            description=r["description"],
            measures=r["measures"],
            closed_on=r["closed_on"],
            reported_by=r["by_name"],
            version=r["version"],
        )
        for r in rows
    ]
    return sorted(views, key=lambda v: v.closed_on is not None)  # stable: open first
