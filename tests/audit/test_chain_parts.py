"""``chain_parts`` hands the database the hashed text of a row around its two chain
fields (PostgreSQL hashes there, under the chain lock). Whatever the row holds,
the three parts with a ``prev_hash`` and a ``seq`` put between them must be exactly
the text ``chain_hash`` hashes; the database function's own hashes are checked by
``verify`` in the chain tests, which run on PostgreSQL too. ``counted_chain_parts``
splits the first part once more around a count in the details that only the
database knows (a read and its audit event in one statement): with the count put
in, the text must again be exactly the hashed text, and the details the stored
ones."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gvi.audit.services import AuditEntry, chain_hash, chain_parts, counted_chain_parts

_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12)
_details: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    st.text(max_size=10),
    _scalars | st.lists(_scalars, max_size=3) | st.dictionaries(st.text(max_size=5), _scalars),
    max_size=4,
)
_text = st.text(max_size=40)  # any characters: quotes, backslashes, åäö, emoji


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(1, 2**62),
    prev=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    actor_id=st.none() | st.integers(1, 2**31 - 1),
    person_id=st.none() | st.integers(1, 2**31 - 1),
    strings=st.tuples(_text, _text, _text, _text, _text, _text),
    details=_details,
)
def test_the_parts_around_prev_hash_and_seq_are_the_hashed_text(
    seq: int,
    prev: str,
    moment: datetime,
    actor_id: int | None,
    person_id: int | None,
    strings: tuple[str, str, str, str, str, str],
    details: dict[str, Any],
) -> None:
    entry = _entry(seq, prev, moment, actor_id, person_id, strings, details)
    before, middle, after = chain_parts(entry)
    text = before + prev + middle + str(seq) + after
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == chain_hash(entry)


def _entry(
    seq: int,
    prev: str,
    moment: datetime,
    actor_id: int | None,
    person_id: int | None,
    strings: tuple[str, str, str, str, str, str],
    details: dict[str, Any],
) -> AuditEntry:
    username, action, target_type, target_id, ip, agent = strings
    return AuditEntry(
        seq=seq,
        occurred_at=moment,
        actor_id=actor_id,
        actor_username=username,
        action=action,
        target_type=target_type,
        target_id=target_id,
        person_id=person_id,
        details=details,
        ip=ip,
        user_agent=agent,
        prev_hash=prev,
        hash="",
    )


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(1, 2**62),
    prev=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    actor_id=st.none() | st.integers(1, 2**31 - 1),
    person_id=st.none() | st.integers(1, 2**31 - 1),
    strings=st.tuples(_text, _text, _text, _text, _text, _text),
    details=_details,
    key=st.text(max_size=10),
    count=st.integers(0, 2**62),
)
def test_the_parts_around_a_count_the_database_fills_in_are_the_hashed_text(
    seq: int,
    prev: str,
    moment: datetime,
    actor_id: int | None,
    person_id: int | None,
    strings: tuple[str, str, str, str, str, str],
    details: dict[str, Any],
    key: str,
    count: int,
) -> None:
    # The draft may hold any value under the key (the writer puts a placeholder).
    draft = _entry(seq, prev, moment, actor_id, person_id, strings, {**details, key: None})
    a, b, middle, after, details_a, details_b = counted_chain_parts(draft, key)
    n = str(count)  # what the database's ``count::text`` gives
    written = _entry(seq, prev, moment, actor_id, person_id, strings, {**details, key: count})
    text = a + n + b + prev + middle + str(seq) + after
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == chain_hash(written)
    assert json.loads(details_a + n + details_b) == written.details
