"""``chain_parts`` hands the database the hashed text of a row around its two chain
fields (PostgreSQL hashes there, under the chain lock). Whatever the row holds,
the three parts with a ``prev_hash`` and a ``seq`` put between them must be exactly
the text ``chain_hash`` MACs (HMAC-SHA-256 under the row's audit key, computed as
the database computes it, from the key's two pads with plain SHA-256; or plain
SHA-256 for a legacy row without a key); the database function's own hashes are checked by
``verify`` in the chain tests, which run on PostgreSQL too. ``counted_chain_parts``
splits the first part once more around a count in the details that only the
database knows (a read and its audit event in one statement): with the count put
in, the text must again be exactly the hashed text, and the details the stored
ones."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gvi.audit.keys import ChainKeys
from gvi.audit.services import AuditEntry, chain_hash, chain_parts, counted_chain_parts

KEYS = ChainKeys((("a1", b"\x05" * 32), ("old", b"\x06" * 32)))

_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12)
_details: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    st.text(max_size=10),
    _scalars | st.lists(_scalars, max_size=3) | st.dictionaries(st.text(max_size=5), _scalars),
    max_size=4,
)
_text = st.text(max_size=40)  # any characters: quotes, backslashes, åäö, emoji
_ids = st.none() | st.integers(1, 2**31 - 1)
_entries = st.builds(
    AuditEntry,
    seq=st.integers(1, 2**62),
    occurred_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    actor_id=_ids,
    actor_username=_text,
    action=_text,
    target_type=_text,
    target_id=_text,
    person_id=_ids,
    details=_details,
    ip=_text,
    user_agent=_text,
    prev_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    hash=st.just(""),
    key_id=st.sampled_from([None, "a1", "old"]),
)


def _mac(entry: AuditEntry, text: str) -> str:
    """What ``gvi_audit_append`` computes: ``sha256(outer || sha256(inner || text))``."""
    data = text.encode("utf-8")
    if entry.key_id is None:
        return hashlib.sha256(data).hexdigest()
    inner, outer = KEYS.pads(entry.key_id)
    return hashlib.sha256(outer + hashlib.sha256(inner + data).digest()).hexdigest()


@settings(max_examples=300, deadline=None)
@given(entry=_entries)
def test_the_parts_around_prev_hash_and_seq_are_the_hashed_text(entry: AuditEntry) -> None:
    before, middle, after = chain_parts(entry)
    text = before + entry.prev_hash + middle + str(entry.seq) + after
    assert _mac(entry, text) == chain_hash(entry, KEYS)


@settings(max_examples=300, deadline=None)
@given(entry=_entries, key=st.text(max_size=10), count=st.integers(0, 2**62))
def test_the_parts_around_a_count_the_database_fills_in_are_the_hashed_text(
    entry: AuditEntry, key: str, count: int
) -> None:
    # The draft may hold any value under the key (the writer puts a placeholder).
    draft = replace(entry, details={**entry.details, key: None})
    a, b, middle, after, details_a, details_b = counted_chain_parts(draft, key)
    n = str(count)  # what the database's ``count::text`` gives
    written = replace(entry, details={**entry.details, key: count})
    text = a + n + b + entry.prev_hash + middle + str(entry.seq) + after
    assert _mac(entry, text) == chain_hash(written, KEYS)
    assert json.loads(details_a + n + details_b) == written.details
