"""The rules of a defector case that need no database: which status may follow
which, why a move is refused, and the police definition (architecture §3.1).

Pure: neither Litestar nor Piccolo. The status values are
:class:`gvi.defectors.tables.CaseStatus`'s (a test keeps the two in step).

A case moves one step forward at a time; it may go back one step where the
work really does go back (consent hesitates, new threat information, the
agreement is renegotiated, a follow-up shows that more help is needed); it may
be closed from any status, with an outcome; a closed case stays closed (a
person who comes back gets a new case, so the yearly figures stay true).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from gvi.i18n import N_, gettext

CONTACT = "contact"
MOTIVATION_ASSESSMENT = "motivation_assessment"
CONSENT = "consent"
RISK_ASSESSMENT = "risk_assessment"
INVESTIGATION = "investigation"
AGREEMENT = "agreement"
INTERVENTIONS = "interventions"
FOLLOW_UP = "follow_up"
CLOSED = "closed"

FLOW: tuple[str, ...] = (
    CONTACT,
    MOTIVATION_ASSESSMENT,
    CONSENT,
    RISK_ASSESSMENT,
    INVESTIGATION,
    AGREEMENT,
    INTERVENTIONS,
    FOLLOW_UP,
    CLOSED,
)

STATUS_LABELS: Mapping[str, str] = {
    CONTACT: N_("Kontakt"),
    MOTIVATION_ASSESSMENT: N_("Motivationsbedömning"),
    CONSENT: N_("Samtycke"),
    RISK_ASSESSMENT: N_("Riskbedömning"),
    INVESTIGATION: N_("Utredning och beslut"),
    AGREEMENT: N_("Överenskommelse"),
    INTERVENTIONS: N_("Insatser"),
    FOLLOW_UP: N_("Uppföljning"),
    CLOSED: N_("Avslutat"),
}

OUTCOMES: tuple[str, ...] = ("completed", "dropped_out", "moved", "other")
OUTCOME_LABELS: Mapping[str, str] = {
    "completed": N_("Genomfört"),
    "dropped_out": N_("Avbrutet av personen"),
    "moved": N_("Flyttat"),
    "other": N_("Annat"),
}

# Going back one step, and why that happens in practice (shown as a hint).
BACK_STEPS: Mapping[str, str] = {
    CONSENT: N_("Personen tvekar: motivationen behöver bedömas igen."),
    RISK_ASSESSMENT: N_("Samtycket behöver förnyas eller vidgas."),
    INVESTIGATION: N_("Ny information om hotbilden kräver en ny riskbedömning."),
    AGREEMENT: N_("Överenskommelsen kom inte till stånd: utredningen tas upp igen."),
    INTERVENTIONS: N_("Överenskommelsen behöver göras om."),
    FOLLOW_UP: N_("Uppföljningen visar att fler insatser behövs."),
}


def _next(status: str) -> str | None:
    i = FLOW.index(status)
    return FLOW[i + 1] if i + 1 < len(FLOW) else None


def _previous(status: str) -> str | None:
    return FLOW[FLOW.index(status) - 1] if status in BACK_STEPS else None


def allowed_targets(status: str) -> frozenset[str]:
    """The statuses a case in ``status`` may move to."""
    if status == CLOSED:
        return frozenset()
    targets = {CLOSED}
    for step in (_next(status), _previous(status)):
        if step is not None:
            targets.add(step)
    return frozenset(targets)


ALLOWED: Mapping[str, frozenset[str]] = {status: allowed_targets(status) for status in FLOW}
"""The whole table: from-status → the statuses it may move to."""


def refusal(current: str, target: str, outcome: str | None = None) -> str | None:
    """Why ``current`` → ``target`` is refused, in Swedish; None when it is allowed.

    Closing needs an outcome; other moves ignore it.
    """
    if current not in STATUS_LABELS or target not in STATUS_LABELS:
        return gettext("Okänd status.")
    here = gettext(STATUS_LABELS[current])
    if current == CLOSED:
        return gettext(
            "Ärendet är avslutat och kan inte öppnas igen. Öppna ett nytt ärende "
            "om personen söker stöd på nytt."
        )
    if target == current:
        return gettext("Ärendet har redan status %(here)s.") % {"here": here}
    if target == CLOSED:
        if outcome not in OUTCOMES:
            return gettext(
                "Ange utfall när ärendet avslutas: genomfört, avbrutet, flyttat eller annat."
            )
        return None
    if target in ALLOWED[current]:
        return None
    following = _next(current)
    if FLOW.index(target) > FLOW.index(current):
        assert following is not None  # only CLOSED has no next step
        return gettext("Ett ärende kan inte hoppa över steg: efter %(here)s kommer %(n)s.") % {
            "here": here,
            "n": gettext(STATUS_LABELS[following]),
        }
    back = _previous(current)
    if back is None:
        return gettext(
            "Från %(here)s kan ärendet inte gå tillbaka; avsluta det i stället om det inte går "
            "vidare."
        ) % {"here": here}
    return gettext("Ett ärende kan bara gå tillbaka ett steg: från %(here)s till %(n)s.") % {
        "here": here,
        "n": gettext(STATUS_LABELS[back]),
    }


# --- what a case needs before it leaves a step ---------------------------------------
#
# Real practice: no interventions without consent, a threat assessment and the social
# services' decision. Going back, or closing, is never gated; moving on is. A recorded
# override with a reason (audited, on the timeline) exists for the real exceptions.

CONSENT_GATE = "consent"
THREAT_GATE = "threat_assessment"
ELIGIBILITY_GATE = "eligibility_decision"

GATES: Mapping[str, tuple[str, str]] = {
    CONSENT: (
        CONSENT_GATE,
        N_(
            "Ärendet kan inte lämna Samtycke: inget samtycke gäller. Registrera personens "
            "samtycke under Samtycken till informationsutbyte först."
        ),
    ),
    RISK_ASSESSMENT: (
        THREAT_GATE,
        N_(
            "Ärendet kan inte lämna Riskbedömning: ingen hotbildsbedömning är registrerad. "
            "Ange hotbild och datum för bedömningen under Bedömningar först."
        ),
    ),
    INVESTIGATION: (
        ELIGIBILITY_GATE,
        N_(
            "Ärendet kan inte lämna Utredning och beslut: socialtjänstens beslut om stöd "
            "(behovsbedömningen) saknas. Registrera beslutet under Bedömningar först."
        ),
    ),
}
GATE_LABELS: Mapping[str, str] = {
    CONSENT_GATE: N_("samtycke"),
    THREAT_GATE: N_("hotbildsbedömning"),
    ELIGIBILITY_GATE: N_("socialtjänstens beslut om stöd"),
}
OVERRIDE_MIN = 10


@dataclass(frozen=True)
class CaseFacts:
    """What the gates look at."""

    consent_in_force: bool
    threat_level: str
    threat_assessed_on: date | None
    social_services_eligible: bool | None


def gate(current: str, target: str, facts: CaseFacts) -> str | None:
    """The gate that stops ``current`` → ``target`` (its key), or None when nothing does.
    Only the step forward out of a gated status is gated."""
    if current not in GATES or target != _next(current):
        return None
    key = GATES[current][0]
    if key == CONSENT_GATE and not facts.consent_in_force:
        return key
    if key == THREAT_GATE and (facts.threat_assessed_on is None or facts.threat_level == "unknown"):
        return key
    if key == ELIGIBILITY_GATE and facts.social_services_eligible is None:
        return key
    return None


def gate_message(current: str) -> str:
    return gettext(GATES[current][1])


# --- the police definition --------------------------------------------------------

POLICE_THREAT_LEVELS = frozenset({"medium", "high"})


@dataclass(frozen=True)
class PoliceDefinition:
    """Whether the case meets the police definition of a defector, and which
    criteria fail (in Swedish, in the order architecture §3.1 lists them)."""

    met: bool
    failing: tuple[str, ...]


def police_definition(
    *,
    motivated: bool | None,
    police_consent_in_force: bool,
    threat_level: str,
    is_witness: bool,
    social_services_eligible: bool | None,
) -> PoliceDefinition:
    """Motivated, consents to information exchange with the police, has a threat
    against them (medium or high), is not a witness, and social services have
    decided on support. Failing it never ends the social-services case."""
    failing: list[str] = []
    if motivated is not True:
        failing.append(
            gettext("Motivationen är inte bedömd.")
            if motivated is None
            else gettext("Personen bedöms inte motiverad.")
        )
    if not police_consent_in_force:
        failing.append(
            gettext("Samtycke till informationsutbyte med polisen saknas eller är återkallat.")
        )
    if threat_level not in POLICE_THREAT_LEVELS:
        failing.append(gettext("Hotbilden är inte bedömd som medel eller hög."))
    if is_witness:
        failing.append(gettext("Personen är vittne."))
    if social_services_eligible is not True:
        failing.append(
            gettext("Socialtjänsten har inte beslutat om stöd.")
            if social_services_eligible is None
            else gettext("Socialtjänsten har bedömt att stöd inte ska ges.")
        )
    return PoliceDefinition(met=not failing, failing=tuple(failing))


def police_track_active(
    definition: PoliceDefinition, *, excluded_agencies: int, closed: bool
) -> bool:
    """The police track runs while the definition is met, no agency is excluded
    from the consent (a withdrawn consent not given again) and the case is open."""
    return definition.met and excluded_agencies == 0 and not closed


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 if ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(months, 0)
