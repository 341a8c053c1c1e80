"""The import's batched shortcuts give exactly what the one-at-a-time paths give:
a status history read through remembered steps, the identities sealed, indexed
and digested in batches (gvi.security.crypto), a clean-file test by
``str.isprintable`` (gvi.core.text.all_clean)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from gvi.core.tabular import Problem
from gvi.core.text import _NOT_ON_ONE_LINE, all_clean
from gvi.records.cells import Cells, read_history
from gvi.records.columns import _W, COLUMNS
from gvi.security.crypto import parse_keyring

TODAY = date(2026, 12, 1)
STEPS = st.sampled_from(
    [
        "contact:2024-01-10",
        " motivation_assessment:2024-02-01",
        "motivation_assessment:2024-02-01 ",
        "Kontakt:2024-01-05",
        "closed:2024-01-01",
        "contact:2099-01-01",  # in the future
        "contact:2024-13-01",  # no such day
        "nosuch:2024-01-10",
        "contact:2024-01-10/2024-01-11",
        "contact",
        "",
        " ",
        "contact:2024-01-10\nconsent:2024-02-01",
    ]
)


def _read(text: str, steps: dict[str, tuple[str, date]] | None) -> tuple[object, list[Problem]]:
    problems: list[Problem] = []
    row = Cells(
        "f",
        2,
        {"status_history": text},
        problems,
        dict.fromkeys(COLUMNS["cases"], ""),
        clean=True,
        stripped=True,
    )
    return read_history(row, _W["case_status"], TODAY, steps), problems


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(STEPS, max_size=4).map(";".join), min_size=1, max_size=6))
def test_a_history_reads_the_same_through_remembered_steps(texts: list[str]) -> None:
    steps: dict[str, tuple[str, date]] = {}
    for text in texts:
        assert _read(text, steps) == _read(text, None), text


KEYRING = parse_keyring(
    "k1:"
    + base64.b64encode(b"\x02" * 32).decode()
    + ",k0:"
    + base64.b64encode(b"\x03" * 32).decode()
)


def test_batched_sealing_opens_with_fresh_nonces() -> None:
    values = ["Åsa Öberg", "19010101-1234", "", "x" * 400]
    aads = [f"person_identity.f{i}.7" for i in range(len(values))]
    blobs = KEYRING.encrypt_many(values, aads)
    assert [KEYRING.decrypt(b, a) for b, a in zip(blobs, aads, strict=True)] == values
    assert all(key_id == "k1" for key_id in map(KEYRING.key_id_of, blobs))
    assert len({b[4:16] for b in blobs}) == len(blobs)  # one nonce each


def test_batched_indexes_and_digests_are_the_single_ones() -> None:
    pins = ["19010101-1234", "190101011234", "010101-1234", "１９０１０１０１-１２３４"]
    assert KEYRING.blind_indexes(pins) == [KEYRING.blind_index(p) for p in pins]
    key = KEYRING._index_key
    assert (
        KEYRING.blind_index(pins[0]) == hmac.new(key, b"190101011234", hashlib.sha256).hexdigest()
    )
    identities = [("a", "b", "c", "d"), ("", "19010101-1234", "", ""), ("Å", "", "", "")]
    assert KEYRING.identity_digests(identities) == [KEYRING.identity_digest(i) for i in identities]


@given(st.lists(st.text(max_size=8), max_size=5))
def test_the_printable_shortcut_agrees_with_the_search(values: list[str]) -> None:
    assert all_clean(values) == (_NOT_ON_ONE_LINE.search("".join(values)) is None)
