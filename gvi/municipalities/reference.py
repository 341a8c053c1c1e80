"""Sweden's municipalities as reference data: the SCB list shipped in
``gvi/data/municipalities.csv`` and its idempotent load into ``municipality``.

``gvi migrate`` calls :func:`sync_municipalities` after the schema migrations,
on every engine and in production: a missing code is inserted, a changed name
or county is updated in place (the code is the identity), and a code no
longer on the list is archived, never deleted (cases and units still point at
it). A second run changes nothing and writes no audit row.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources

from gvi.audit.events import AuditAction
from gvi.audit.keys import AuditKeyError, get_chain_keys
from gvi.audit.services import record
from gvi.db import write_transaction
from gvi.municipalities.tables import Municipality

CODE_PATTERN = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class ReferenceMunicipality:
    code: str
    name: str
    county: str


@dataclass(frozen=True)
class SyncResult:
    inserted: int = 0
    updated: int = 0
    archived: int = 0
    restored: int = 0
    # False when no audit key was configured yet (a first ``gvi migrate`` before
    # the secrets are in place): the change is then not in the audit trail.
    audited: bool = True

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.archived or self.restored)


@lru_cache(maxsize=1)
def reference_municipalities() -> tuple[ReferenceMunicipality, ...]:
    """The shipped list, in code order. Codes are text: the leading zero is part of them."""
    text = resources.files("gvi").joinpath("data/municipalities.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    rows = tuple(
        ReferenceMunicipality(code=r["code"], name=r["name"], county=r["county"])
        for r in csv.DictReader(lines)
    )
    return tuple(sorted(rows, key=lambda r: r.code))


def reference_by_code() -> dict[str, ReferenceMunicipality]:
    return {r.code: r for r in reference_municipalities()}


def counties() -> list[str]:
    """The counties (län) in code order."""
    seen: dict[str, None] = {}
    for r in reference_municipalities():
        seen.setdefault(r.county, None)
    return list(seen)


def _audit_key_configured() -> bool:
    try:
        get_chain_keys()
    except AuditKeyError:
        return False
    return True


async def sync_municipalities() -> SyncResult:
    """Bring the ``municipality`` table in line with the shipped list (see module doc)."""
    wanted = reference_by_code()
    now = datetime.now(tz=UTC)
    inserted = updated = archived = restored = 0
    async with write_transaction(Municipality._meta.db):
        rows = await Municipality.select(
            Municipality.id,
            Municipality.code,
            Municipality.name,
            Municipality.county,
            Municipality.archived_at,
        )
        held = {r["code"]: r for r in rows}
        for code, ref in wanted.items():
            row = held.get(code)
            if row is None:
                continue
            values: dict[object, object] = {}
            if row["name"] != ref.name or row["county"] != ref.county:
                values[Municipality.name] = ref.name
                values[Municipality.county] = ref.county
                updated += 1
            if row["archived_at"] is not None:
                values[Municipality.archived_at] = None
                restored += 1
            if values:
                values[Municipality.version] = Municipality.version + 1
                await Municipality.update(values).where(Municipality.id == row["id"])  # type: ignore[arg-type]
        missing = [ref for code, ref in wanted.items() if code not in held]
        if missing:
            await Municipality.insert(
                *(Municipality(code=r.code, name=r.name, county=r.county) for r in missing)
            )
            inserted = len(missing)
        gone = [
            r["id"] for code, r in held.items() if code not in wanted and r["archived_at"] is None
        ]
        if gone:
            await Municipality.update(
                {Municipality.archived_at: now, Municipality.version: Municipality.version + 1}
            ).where(Municipality.id.is_in(gone))
            archived = len(gone)
        result = SyncResult(inserted, updated, archived, restored)
        if result.changed and not _audit_key_configured():
            # The list is the shipped file's, the same for every install of this
            # version, and no person data: loading it must not wait for the audit
            # keys (``gvi serve`` refuses to start in production without them).
            return dataclasses.replace(result, audited=False)
        if result.changed:
            await record(
                AuditAction.org_municipalities_sync,
                actor=None,
                target_type="municipality",
                details={
                    "inserted": inserted,
                    "updated": updated,
                    "archived": archived,
                    "restored": restored,
                },
            )
    return result
