"""The rules of a support offer that need no database: which status may follow
which, why a move is refused, and whether an offer ever became an intervention.

Pure: neither Litestar nor Piccolo. The values are
:class:`gvi.support.tables.OfferStatus`'s (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

OFFERED = "offered"
ACCEPTED = "accepted"
DECLINED = "declined"
STARTED = "started"
COMPLETED = "completed"
DISCONTINUED = "discontinued"

STATUSES: tuple[str, ...] = (OFFERED, ACCEPTED, DECLINED, STARTED, COMPLETED, DISCONTINUED)

STATUS_LABELS: Mapping[str, str] = {
    OFFERED: "Erbjuden",
    ACCEPTED: "Accepterad",
    DECLINED: "Avböjd",
    STARTED: "Påbörjad",
    COMPLETED: "Slutförd",
    DISCONTINUED: "Avbruten",
}

# "Erbjudandet är …": the same words in the neuter.
_NEUTER: Mapping[str, str] = {
    OFFERED: "erbjudet",
    ACCEPTED: "accepterat",
    DECLINED: "avböjt",
    STARTED: "påbörjat",
    COMPLETED: "slutfört",
    DISCONTINUED: "avbrutet",
}

ALLOWED: Mapping[str, frozenset[str]] = {
    OFFERED: frozenset({ACCEPTED, DECLINED}),
    ACCEPTED: frozenset({STARTED, DISCONTINUED}),
    STARTED: frozenset({COMPLETED, DISCONTINUED}),
    DECLINED: frozenset(),
    COMPLETED: frozenset(),
    DISCONTINUED: frozenset(),
}
"""From-status → the statuses it may move to; the last three are final."""

# The specific reasons for the moves people most often try by mistake.
_REASONS: Mapping[tuple[str, str], str] = {
    (OFFERED, STARTED): "Erbjudandet måste accepteras innan insatsen kan påbörjas.",
    (OFFERED, COMPLETED): "Erbjudandet måste accepteras och påbörjas innan det kan slutföras.",
    (OFFERED, DISCONTINUED): (
        "Ett erbjudande som inte har accepterats avbryts inte: markera det som avböjt."
    ),
    (ACCEPTED, COMPLETED): "Insatsen måste påbörjas innan den kan slutföras.",
    (ACCEPTED, DECLINED): "Erbjudandet är redan accepterat: avbryt det i stället.",
    (ACCEPTED, OFFERED): "Ett accepterat erbjudande kan inte gå tillbaka till erbjuden.",
    (STARTED, DECLINED): "Insatsen har påbörjats: avbryt den i stället.",
}


def refusal(current: str, target: str) -> str | None:
    """Why ``current`` → ``target`` is refused, in Swedish; None when it is allowed."""
    if current not in ALLOWED or target not in ALLOWED:
        return "Okänd status."
    if target in ALLOWED[current]:
        return None
    if target == current:
        return f"Erbjudandet har redan status {STATUS_LABELS[current].lower()}."
    if not ALLOWED[current]:
        return (
            f"Erbjudandet är {_NEUTER[current]} och kan inte ändras. "
            "Registrera ett nytt erbjudande om personen vill ha stödet nu."
        )
    if (current, target) in _REASONS:
        return _REASONS[(current, target)]
    choices = " eller ".join(sorted(_NEUTER[s] for s in ALLOWED[current]))
    return f"Ett {_NEUTER[current]} erbjudande kan bara bli {choices}, inte {_NEUTER[target]}."


def reached_start(status: str, history: Iterable[str]) -> bool:
    """Whether the offer ever became a started intervention: it is started or
    completed now, or its history passed through started (discontinued after
    starting still counts; discontinued before starting does not)."""
    return status in (STARTED, COMPLETED) or STARTED in set(history)
