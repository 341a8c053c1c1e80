"""What an audit event's ``details`` may hold: ids, counts, booleans and short
machine tokens, never names, identity numbers or free text (architecture §4.1). The
trail cannot be corrected, so what goes in stays; this is the safety net."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from gvi.audit.chain import canonical_json

_MAX_DETAIL_STRING = 64
# Strings are machine tokens: no spaces (free text), no "@" (e-mail addresses).
_TOKEN = re.compile(r"[A-Za-z0-9_.:/+-]*")
_MAX_DETAILS_CHARS = 2048
_MAX_DETAILS_DEPTH = 3

# Key words that announce identity or free text; details carry ids and counts only.
# ("reason" is allowed: auth events use it for tokens such as "throttled"; the
# token rule on values keeps a break-the-glass reason out.)
_FORBIDDEN_KEY_WORDS = frozenset(
    {
        "name",
        "names",
        "firstname",
        "lastname",
        "fullname",
        "displayname",
        "username",
        "personnummer",
        "samordningsnummer",
        "pnr",
        "pin",
        "ssn",
        "address",
        "phone",
        "email",
        "mail",
        "note",
        "notes",
        "summary",
        "comment",
        "comments",
    }
)

# Personnummer or samordningsnummer (day + 60), with or without century and separator.
_PERSONAL_NUMBER = re.compile(
    r"\b(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01]|[6-8]\d|9[01])[-+]?\d{4}\b"
)


class AuditDetailsError(ValueError):
    """``details`` looked like it carried personal data or free text."""


def check_details(value: Any, depth: int = 0) -> None:
    if depth > _MAX_DETAILS_DEPTH:
        raise AuditDetailsError("audit details nest too deeply")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if _PERSONAL_NUMBER.search(str(value)):
            raise AuditDetailsError("audit details hold what looks like a personal number")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditDetailsError("audit details hold a non-finite number")
        return
    if isinstance(value, str):
        if len(value) > _MAX_DETAIL_STRING or not _TOKEN.fullmatch(value):
            raise AuditDetailsError(
                f"audit detail strings are tokens (letters, digits, _ . : / + -) "
                f"of at most {_MAX_DETAIL_STRING} characters"
            )
        if _PERSONAL_NUMBER.search(value):
            raise AuditDetailsError("audit details hold what looks like a personal number")
        return
    if isinstance(value, list | tuple):
        for item in value:
            check_details(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditDetailsError("audit detail keys must be strings")
            words = re.split(r"[^a-z0-9]+", key.lower())
            if _FORBIDDEN_KEY_WORDS.intersection(words):
                raise AuditDetailsError(
                    f"audit details may not have a key {key!r}: ids and counts only"
                )
            check_details(item, depth + 1)
        return
    raise AuditDetailsError(f"audit details cannot hold a {type(value).__name__}")


def clean_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """Checked and normalised through JSON, so what is hashed is what is stored."""
    if not details:
        return {}
    check_details(details)
    text = canonical_json(details)
    if len(text) > _MAX_DETAILS_CHARS:
        raise AuditDetailsError(f"audit details exceed {_MAX_DETAILS_CHARS} characters")
    cleaned: dict[str, Any] = json.loads(text)
    return cleaned
