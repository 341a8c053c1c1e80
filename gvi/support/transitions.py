"""The rules of a support offer that need no database: which status may follow
which, why a move is refused, and whether an offer ever became an intervention.

Pure: neither Litestar nor Piccolo. The values are
:class:`gvi.support.tables.OfferStatus`'s (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gvi.i18n import N_, gettext

OFFERED = "offered"
ACCEPTED = "accepted"
DECLINED = "declined"
STARTED = "started"
COMPLETED = "completed"
DISCONTINUED = "discontinued"

STATUSES: tuple[str, ...] = (OFFERED, ACCEPTED, DECLINED, STARTED, COMPLETED, DISCONTINUED)

STATUS_LABELS: Mapping[str, str] = {
    OFFERED: N_("Erbjuden"),
    ACCEPTED: N_("Accepterad"),
    DECLINED: N_("Avböjd"),
    STARTED: N_("Påbörjad"),
    COMPLETED: N_("Slutförd"),
    DISCONTINUED: N_("Avbruten"),
}

# One name per category on forms, lists, imports and figures alike.
CATEGORY_LABELS: Mapping[str, str] = {
    "housing": N_("Boende"),
    "employment": N_("Arbete"),
    "education": N_("Utbildning"),
    "addiction_care": N_("Beroendevård"),
    "psychiatric_care": N_("Psykiatrisk vård"),
    "family_support": N_("Familjestöd"),
    "mentor": N_("Mentor eller kontaktperson"),
    "debt_counselling": N_("Skuldrådgivning"),
    "relocation": N_("Flytt eller skyddat boende"),
    "tattoo_removal": N_("Tatueringsborttagning"),
    "leisure": N_("Fritid"),
    "other": N_("Annat"),
}

# "Erbjudandet är …": the same words in the neuter.
_NEUTER: Mapping[str, str] = {
    OFFERED: N_("erbjudet"),
    ACCEPTED: N_("accepterat"),
    DECLINED: N_("avböjt"),
    STARTED: N_("påbörjat"),
    COMPLETED: N_("slutfört"),
    DISCONTINUED: N_("avbrutet"),
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
    (OFFERED, STARTED): N_("Erbjudandet måste accepteras innan insatsen kan påbörjas."),
    (OFFERED, COMPLETED): N_("Erbjudandet måste accepteras och påbörjas innan det kan slutföras."),
    (OFFERED, DISCONTINUED): (
        N_("Ett erbjudande som inte har accepterats avbryts inte: markera det som avböjt.")
    ),
    (ACCEPTED, COMPLETED): N_("Insatsen måste påbörjas innan den kan slutföras."),
    (ACCEPTED, DECLINED): N_("Erbjudandet är redan accepterat: avbryt det i stället."),
    (ACCEPTED, OFFERED): N_("Ett accepterat erbjudande kan inte gå tillbaka till erbjuden."),
    (STARTED, DECLINED): N_("Insatsen har påbörjats: avbryt den i stället."),
}


def refusal(current: str, target: str) -> str | None:
    """Why ``current`` → ``target`` is refused, in Swedish; None when it is allowed."""
    if current not in ALLOWED or target not in ALLOWED:
        return gettext("Okänd status.")
    if target in ALLOWED[current]:
        return None
    if target == current:
        return gettext("Erbjudandet har redan status %(n)s.") % {
            "n": gettext(STATUS_LABELS[current]).lower()
        }
    if not ALLOWED[current]:
        return gettext(
            "Erbjudandet är %(n)s och kan inte ändras. Registrera ett nytt erbjudande om "
            "personen vill ha stödet nu."
        ) % {"n": gettext(_NEUTER[current])}
    if (current, target) in _REASONS:
        return gettext(_REASONS[(current, target)])
    choices = gettext(" eller ").join(sorted(gettext(_NEUTER[s]) for s in ALLOWED[current]))
    return gettext("Ett %(n)s erbjudande kan bara bli %(choices)s, inte %(n2)s.") % {
        "n": gettext(_NEUTER[current]),
        "choices": choices,
        "n2": gettext(_NEUTER[target]),
    }


def neuter_label(status: str) -> str:
    """The status as it reads after "Erbjudandet är nu …" (neuter: "accepterat")."""
    return gettext(_NEUTER[status])


def reached_start(status: str, history: Iterable[str]) -> bool:
    """Whether the offer ever became a started intervention: it is started or
    completed now, or its history passed through started (discontinued after
    starting still counts; discontinued before starting does not)."""
    return status in (STARTED, COMPLETED) or STARTED in set(history)
