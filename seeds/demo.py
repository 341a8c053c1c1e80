"""The fictional demo data set: north-west Stockholm county, 2022–2024.

Real municipalities (with their kommunkoder), invented everything else: units
marked "(fiktiv)"/"(demo)", groups with names that say they are fiction, people
with pseudonymous codes and obviously invented identities (see
:mod:`seeds.names`). One login per role, all with :data:`DEMO_PASSWORD` and a
fixed TOTP secret from :data:`DEMO_TOTP_SECRETS`; production refuses to run
while these accounts exist (:mod:`gvi.accounts.demo_guard`).

:func:`load_demo` is idempotent: every row is found by a natural key
(kommunkod, unit name, username, group name, person code, case reference,
call-in title, …) and only created when missing, all in one write
transaction. The content is fixed: dates are literals and the random choices
come from ``random.Random(DEMO_SEED)``, so the demo is the same everywhere.

Not seeded, on purpose: ``audit_event`` (the trail records what people did;
a seed that wrote it would forge history, and the hash chain belongs to
:mod:`gvi.audit`), ``alert`` (raised by the running system's detectors) and
``break_glass`` (a time-boxed grant: a seeded one would be either already
expired or a standing bypass). Two disclosures are seeded as history (the
police partition's only way to defector-case facts).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from piccolo.table import Table

from gvi.access.tables import Disclosure, LegalGround
from gvi.accounts.tables import RecoveryCode, Role, User, UserMunicipality, UserUnit
from gvi.callins.tables import CallIn, CallInSpeaker, Invitation, Notification, Promise
from gvi.db import write_transaction
from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseStatus,
    CaseStatusChange,
    CaseTransfer,
    ConsentAgency,
    DefectorCase,
    GrantApplication,
    TransferState,
)
from gvi.enforcement.tables import EnforcementAction
from gvi.groups.tables import Confidence, Group, GroupAlias, GroupRelation, Membership
from gvi.incidents.tables import Incident, IncidentGroup, IncidentPerson
from gvi.municipalities.tables import Agency, Municipality, Unit, UnitMunicipality
from gvi.outreach.tables import Channel, OutreachActivity
from gvi.people.tables import Person, PersonIdentity, Protection
from gvi.plans.tables import CasePlan, GoalRating, ItemStatus, Party, PlanEvent, PlanItem, Rating
from gvi.security.crypto import aad, get_keyring
from gvi.support.tables import (
    Method,
    OfferStatus,
    Provider,
    ProviderCheck,
    ProviderDeviation,
    ProviderRequirement,
    SupportOffer,
    SupportOfferStatusChange,
)
from gvi.tasks.tables import Task
from seeds.names import (
    FICTION_PHONES,
    FIRST_NAMES,
    NORTHWEST,
    SURNAMES,
    fictional_address,
    fictional_pin,
    person_code,
    reference_ids,
)

DEMO_SEED = 20231012
# Published on purpose (``gvi seed`` prints it); production refuses demo accounts.
DEMO_PASSWORD = "Demo-losenord-2024"  # noqa: S105

try:
    _STOCKHOLM: tzinfo = ZoneInfo("Europe/Stockholm")
except ZoneInfoNotFoundError:  # pragma: no cover -- an image without tzdata: CET is close enough
    _STOCKHOLM = timezone(timedelta(hours=1))


def _totp(tag: str) -> str:
    """A 32-character base32 secret that announces itself: ``GVIDEMO<TAG>AAAA…``."""
    return f"GVIDEMO{tag}".ljust(32, "A")


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    password: str
    totp_secret: str
    unit: str
    municipality_codes: tuple[str, ...]
    # Joint units the user also works in (a ``UserUnit`` row each): members see
    # the joint unit's cases.
    joint_units: tuple[str, ...] = ()
    # Fixed recovery codes; the first of each is stored as already spent.
    recovery_codes: tuple[str, ...] = ()
    # Enhetschef: approves case plans and closes cases in the user's units.
    unit_lead: bool = False


U_IT = "Systemförvaltning GVI (demo)"
U_COORD = "Samordning Sluta skjut Nordväst (demo)"
U_SOC_JARFALLA = "Socialtjänsten Järfälla, Ungdom och familj (fiktiv)"
U_SOC_SOLLENTUNA = "Socialtjänsten Sollentuna (fiktiv)"
U_SOC_SIGTUNA = "Socialtjänsten Sigtuna (fiktiv)"
U_SOC_SUNDBYBERG = "Socialtjänsten Sundbyberg (fiktiv)"
U_POL_JARFALLA = "Lokalpolisområde Järfälla (fiktivt)"
U_POL_SOLLENTUNA = "Lokalpolisområde Sollentuna (fiktivt)"
U_POL_SIGTUNA = "Lokalpolisområde Sigtuna (fiktivt)"
U_POL_SOLNA = "Lokalpolisområde Solna (fiktivt)"
U_JOINT = "Avhopparverksamheten Nordväst (demo)"

ALL_NW = tuple(code for _, code in NORTHWEST)

DEMO_USERS: list[DemoUser] = [
    DemoUser(
        "admin",
        "Ada Administratör (demo)",
        Role.admin,
        DEMO_PASSWORD,
        _totp("ADMIN"),
        U_IT,
        (),
        recovery_codes=("demo-admn-0001", "demo-admn-0002"),
    ),
    DemoUser(
        "samordnare",
        "Sam Samordnare (demo)",
        Role.coordinator,
        DEMO_PASSWORD,
        _totp("SAMORDNARE"),
        U_COORD,
        ALL_NW,
    ),
    DemoUser(
        "socialsekreterare",
        "Sofia Socialsekreterare (demo)",
        Role.outreach,
        DEMO_PASSWORD,
        _totp("SOCIALSEKRETERARE"),
        U_SOC_JARFALLA,
        ("0123",),
        joint_units=(U_JOINT,),
        recovery_codes=("demo-sosk-0001", "demo-sosk-0002"),
        unit_lead=True,
    ),
    DemoUser(
        "polis",
        "Per Polis (demo)",
        Role.police,
        DEMO_PASSWORD,
        _totp("POLIS"),
        U_POL_JARFALLA,
        ALL_NW,
    ),
    DemoUser(
        "analytiker",
        "Anna Analytiker (demo)",
        Role.analyst,
        DEMO_PASSWORD,
        _totp("ANALYTIKER"),
        U_COORD,
        ALL_NW,
    ),
    DemoUser(
        "socialsekreterare-sigtuna",
        "Sigge Socialsekreterare (demo, Sigtuna)",
        Role.outreach,
        DEMO_PASSWORD,
        _totp("SIGTUNA"),
        U_SOC_SIGTUNA,
        ("0191",),
    ),
]

DEMO_TOTP_SECRETS: frozenset[str] = frozenset(u.totp_secret for u in DEMO_USERS)
DEMO_USERNAMES: frozenset[str] = frozenset(u.username for u in DEMO_USERS)

# (name, kind, agency, home kommunkod, kommunkoder served)
UNITS: tuple[tuple[str, Unit.Kind, Agency, str, tuple[str, ...]], ...] = (
    (U_IT, Unit.Kind.other, Agency.municipality, "0123", ()),
    (U_COORD, Unit.Kind.coordination, Agency.municipality, "0123", ALL_NW),
    (U_SOC_JARFALLA, Unit.Kind.social_services, Agency.social_services, "0123", ("0123",)),
    (U_SOC_SOLLENTUNA, Unit.Kind.social_services, Agency.social_services, "0163", ("0163",)),
    (U_SOC_SIGTUNA, Unit.Kind.social_services, Agency.social_services, "0191", ("0191",)),
    (U_SOC_SUNDBYBERG, Unit.Kind.social_services, Agency.social_services, "0183", ("0183",)),
    (U_POL_JARFALLA, Unit.Kind.police, Agency.police, "0123", ("0123", "0139")),
    (U_POL_SOLLENTUNA, Unit.Kind.police, Agency.police, "0163", ("0163", "0114")),
    (U_POL_SIGTUNA, Unit.Kind.police, Agency.police, "0191", ("0191",)),
    (U_POL_SOLNA, Unit.Kind.police, Agency.police, "0184", ("0184", "0183", "0125")),
    (
        U_JOINT,
        Unit.Kind.joint_defector_unit,
        Agency.social_services,
        "0123",
        ("0123", "0163", "0139"),
    ),
)

# --- groups and relations -------------------------------------------------------

GS = Group.Status
# (name, kommunkod, area, status, aliases, notes)
GROUPS: tuple[tuple[str, str, str, Group.Status, tuple[str, ...], str], ...] = (
    ("Demoligan", "0123", "Centrum (demo)", GS.active, ("DL", "Demogänget"), "Fiktiv grupp."),
    (
        "Exempelnätverket Väst",
        "0123",
        "Västra Exempelby",
        GS.active,
        ("ENV", "Västnätverket (demo)"),
        "Fiktivt nätverk; splittrades 2023.",
    ),
    (
        "Exempelnätverket Splittrat",
        "0123",
        "Norra Exempelby",
        GS.active,
        ("ENS",),
        "Bröt sig ur Exempelnätverket Väst sommaren 2023 (fiktivt).",
    ),
    (
        "Sagonätverket",
        "0123",
        "Sagoparken (demo)",
        GS.dissolved,
        (),
        "Upplöst vid årsskiftet 2022/23.",
    ),
    (
        "Fiktiva Falkarna",
        "0163",
        "Påhittade torget",
        GS.active,
        ("Falkarna (demo)", "FF"),
        "Fiktiv grupp.",
    ),
    ("Testfalkarna Junior", "0163", "Påhittade torget", GS.active, ("FF Junior",), "Yngre led."),
    ("Uppdiktade Ugglorna", "0163", "Ugglevägen (demo)", GS.dormant, (), ""),
    ("Testgänget Nord", "0191", "Norra Testhöjden", GS.active, ("TGN",), "Fiktiv grupp."),
    ("Modellgruppen 0191", "0191", "Stationsområdet (demo)", GS.dormant, (), ""),
    ("Låtsaskartellen", "0183", "Låtsasparken", GS.active, ("LK",), "Fiktiv grupp."),
    ("Skenbara Skaran", "0184", "Skenbacken (demo)", GS.active, (), ""),
    ("Exempelgänget Öst", "0114", "Östra Exempelfältet", GS.active, ("EGÖ",), ""),
    ("Demokollektivet", "0139", "Bro centrum (demo)", GS.active, ("DK",), ""),
    ("Fiktionsfalangen", "0125", "Öarna (demo)", GS.dormant, (), ""),
)

RK = GroupRelation.Kind
C = Confidence
_D = date


# (source, target, kind, intensity, confidence, valid_from, valid_to, review_by, source)
RELATIONS: tuple[
    tuple[str, str, GroupRelation.Kind, int, Confidence, date, date | None, date | None, str], ...
] = (
    # An unbalanced triad: Demoligan + Väst, Väst + Låtsaskartellen, Demoligan − Låtsaskartellen.
    ("Demoligan", "Exempelnätverket Väst", RK.alliance, 4, C.high, _D(2022, 3, 1), None,
     _D(2024, 6, 30), "Underrättelserapport 2022/114 (fiktiv)"),
    ("Exempelnätverket Väst", "Låtsaskartellen", RK.alliance, 3, C.medium, _D(2022, 9, 1), None,
     _D(2027, 6, 30), "Gruppkartläggning hösten 2022 (demo)"),
    ("Demoligan", "Låtsaskartellen", RK.rivalry, 5, C.high, _D(2023, 2, 15), None,
     _D(2024, 9, 30), "Skjutning 2023-02-14 och efterföljande hot (fiktivt)"),
    # An alliance that turned into a rivalry.
    ("Fiktiva Falkarna", "Testgänget Nord", RK.alliance, 3, C.medium, _D(2022, 1, 10),
     _D(2023, 3, 31), None, "Lägesbild LPO Sollentuna (fiktiv)"),
    ("Fiktiva Falkarna", "Testgänget Nord", RK.rivalry, 4, C.high, _D(2023, 4, 1), None,
     _D(2025, 3, 31), "Knivhuggning 2023-04 och sociala medier (fiktivt)"),
    # A splinter that fell out with its parent.
    ("Exempelnätverket Splittrat", "Exempelnätverket Väst", RK.splinter_of, 3, C.high,
     _D(2023, 6, 1), None, _D(2027, 6, 30), "Samtal med avhoppare (fiktivt)"),
    ("Exempelnätverket Splittrat", "Exempelnätverket Väst", RK.rivalry, 5, C.high,
     _D(2023, 6, 15), None, _D(2024, 12, 31), "Polisens lägesbild (fiktiv)"),
    ("Testfalkarna Junior", "Fiktiva Falkarna", RK.subgroup_of, 4, C.high, _D(2022, 5, 1), None,
     _D(2027, 6, 30), "Gruppkartläggning 2022 (demo)"),
    # A rivalry paused by a truce.
    ("Demoligan", "Fiktiva Falkarna", RK.rivalry, 4, C.medium, _D(2022, 2, 1), _D(2024, 1, 31),
     None, "Polisens lägesbild (fiktiv)"),
    ("Demoligan", "Fiktiva Falkarna", RK.truce, 2, C.low, _D(2024, 2, 1), None, _D(2024, 8, 1),
     "Uppgift från fältassistenter (fiktiv)"),
    ("Sagonätverket", "Demoligan", RK.rivalry, 3, C.medium, _D(2022, 1, 1), _D(2022, 12, 31),
     None, "Gruppkartläggning 2022 (demo)"),
    ("Exempelgänget Öst", "Demokollektivet", RK.alliance, 2, C.low, _D(2023, 1, 1), None,
     _D(2024, 3, 31), "Anonymt tips (fiktivt)"),
    ("Exempelgänget Öst", "Testgänget Nord", RK.rivalry, 3, C.medium, _D(2023, 8, 1), None,
     _D(2027, 6, 30), "Hot i skolmiljö (fiktivt)"),
    # A rivalry that ended and became an alliance.
    ("Skenbara Skaran", "Låtsaskartellen", RK.rivalry, 3, C.medium, _D(2022, 6, 1),
     _D(2023, 12, 31), None, "Polisens lägesbild (fiktiv)"),
    ("Skenbara Skaran", "Låtsaskartellen", RK.alliance, 2, C.low, _D(2024, 3, 1), None,
     _D(2027, 6, 30), "Underrättelseuppgift (fiktiv)"),
    ("Demokollektivet", "Demoligan", RK.alliance, 2, C.medium, _D(2024, 4, 1), None,
     _D(2027, 6, 30), "Spaning (fiktiv)"),
    ("Uppdiktade Ugglorna", "Fiktiva Falkarna", RK.rivalry, 2, C.low, _D(2022, 4, 1),
     _D(2023, 1, 31), None, "Gruppkartläggning 2022 (demo)"),
    ("Fiktionsfalangen", "Skenbara Skaran", RK.alliance, 1, C.low, _D(2022, 8, 1), None,
     _D(2023, 8, 1), "Enstaka uppgift (fiktiv)"),
    ("Modellgruppen 0191", "Testgänget Nord", RK.alliance, 2, C.medium, _D(2022, 1, 1),
     _D(2022, 10, 31), None, "Lägesbild LPO Sigtuna (fiktiv)"),
    ("Exempelnätverket Splittrat", "Låtsaskartellen", RK.alliance, 3, C.medium,
     _D(2024, 1, 15), None, _D(2027, 6, 30), "Gemensamma transaktioner (fiktivt)"),
)  # fmt: skip

# How many members each group gets (people are drawn in this order).
MEMBER_COUNTS: tuple[tuple[str, int], ...] = (
    ("Demoligan", 12),
    ("Exempelnätverket Väst", 12),
    ("Exempelnätverket Splittrat", 6),
    ("Sagonätverket", 4),
    ("Fiktiva Falkarna", 10),
    ("Testfalkarna Junior", 6),
    ("Uppdiktade Ugglorna", 4),
    ("Testgänget Nord", 9),
    ("Modellgruppen 0191", 3),
    ("Låtsaskartellen", 8),
    ("Skenbara Skaran", 5),
    ("Exempelgänget Öst", 6),
    ("Demokollektivet", 5),
    ("Fiktionsfalangen", 3),
)
# (group, member index, level): three of them are defector cases below.
PROTECTED: tuple[tuple[str, int, Protection], ...] = (
    ("Sagonätverket", 2, Protection.skyddad_folkbokforing),
    ("Exempelnätverket Väst", 7, Protection.skyddad_folkbokforing),
    ("Demoligan", 10, Protection.sekretessmarkering),
    ("Låtsaskartellen", 6, Protection.sekretessmarkering),
)
UNAFFILIATED = {"0123": 3, "0191": 2, "0163": 1, "0139": 1}  # people known only to social services

MEMBERSHIP_SOURCES = (
    "Gruppkartläggning 2022 (demo)",
    "Polisens lägesbild (fiktiv)",
    "Underrättelseuppgift (fiktiv)",
    "Uppgift vid samtal med socialtjänsten (fiktiv)",
    "Spaning (fiktiv)",
)

# --- call-ins -------------------------------------------------------------------

CALLIN_HELD = "Call-in Järfälla hösten 2023"
CALLIN_PLANNED = "Call-in Sollentuna (planerad)"

PROMISES: tuple[str, ...] = (
    "Nästa grupp vars medlem skjuter får polisens samlade uppmärksamhet.",
    "Vi använder alla lagliga medel mot hela gruppen, inte bara mot den som höll i vapnet.",
    "Den som vill lämna får hjälp – i dag, i morgon, när som helst.",
    "Vi vill att ni lever och är fria. Våldet måste upphöra nu.",
)

MESSAGE = (
    "Vi vet vilka ni är och vilka grupper ni tillhör. Våldet måste upphöra. "
    "Nästa skjutning får konsekvenser för hela gruppen. Samtidigt finns hjälp för den "
    "som vill lämna: bostad, arbete, skydd och stöd till familjen. (Fiktivt budskap.)"
)

SPEAKERS: tuple[tuple[str, CallInSpeaker.Role, str, str], ...] = (
    (CALLIN_HELD, CallInSpeaker.Role.police, "Greta Provström (fiktiv)", U_POL_JARFALLA),
    (CALLIN_HELD, CallInSpeaker.Role.prosecutor, "Olof Exempelsson (fiktiv)",
     "Åklagarkammaren Nordväst (fiktiv)"),
    (CALLIN_HELD, CallInSpeaker.Role.social_services, "Sofia Socialsekreterare (demo)",
     U_SOC_JARFALLA),
    (CALLIN_HELD, CallInSpeaker.Role.community, "En förälder från Föreningen Demoföräldrar",
     "Föreningen Demoföräldrar (fiktiv)"),
    (CALLIN_PLANNED, CallInSpeaker.Role.police, "Kalle Kommissarie (fiktiv)", U_POL_SOLLENTUNA),
    (CALLIN_PLANNED, CallInSpeaker.Role.social_services, "Maja Modellqvist (fiktiv)",
     U_SOC_SOLLENTUNA),
)  # fmt: skip

# --- providers --------------------------------------------------------------------

PK = Provider.Kind
PROVIDERS: tuple[tuple[str, Provider.Kind, str, str, str | None], ...] = (
    ("Arbetsmarknadsenheten Järfälla (demo)", PK.municipal,
     "Arbetsträning, praktik, feriejobb", "", "0123"),
    ("Boendestöd Exempel AB (fiktivt)", PK.private,
     "Skyddat boende, boendestöd, omflyttning", "UH-2022-031 (demo)", None),
    ("Stiftelsen Påhittad Väg (fiktiv)", PK.non_profit,
     "Mentorer med egen erfarenhet, avhopparstöd", "IOP-2023-04 (demo)", None),
    ("Beroendemottagningen Låtsasvik (fiktiv)", PK.municipal,
     "Öppenvård missbruk och beroende", "", "0163"),
    ("Tatueringsborttagning Test AB (fiktivt)", PK.private,
     "Borttagning av gängtatueringar", "DU-2023-112 (demo)", None),
    ("Skuldrådgivningen Demoby (fiktiv)", PK.municipal,
     "Budget- och skuldrådgivning", "", "0191"),
    ("Föreningen Fritid Fiktiv (fiktiv)", PK.non_profit,
     "Fritidsaktiviteter, idrott, föräldrastöd", "", "0183"),
)  # fmt: skip

PROVIDER_CHECKS: tuple[tuple[str, date, str, ProviderCheck.Result], ...] = (
    ("Boendestöd Exempel AB (fiktivt)", _D(2022, 11, 3),
     "Registerutdrag, IVO-tillstånd, referenser", ProviderCheck.Result.approved),
    ("Boendestöd Exempel AB (fiktivt)", _D(2024, 1, 18),
     "Uppföljning av avtal", ProviderCheck.Result.remarks),
    ("Stiftelsen Påhittad Väg (fiktiv)", _D(2023, 2, 9),
     "Belastningsregisterutdrag för mentorer, stadgar", ProviderCheck.Result.approved),
    ("Tatueringsborttagning Test AB (fiktivt)", _D(2023, 5, 22),
     "F-skatt, försäkring, hygienrutiner", ProviderCheck.Result.approved),
    ("Tatueringsborttagning Test AB (fiktivt)", _D(2022, 9, 1),
     "Första ansökan: saknade försäkring", ProviderCheck.Result.rejected),
    ("Föreningen Fritid Fiktiv (fiktiv)", _D(2023, 8, 30),
     "Stadgar, styrelse, ekonomisk redovisning", ProviderCheck.Result.remarks),
)  # fmt: skip

# Provider control: an agreement's particular requirements, and deviations.
PROVIDER_REQUIREMENTS: tuple[tuple[str, str, str], ...] = (
    ("Boendestöd Exempel AB (fiktivt)", "UH-2022-031 (demo)",
     "Tillstånd från IVO, bemanning dygnet runt och en namngiven kontaktperson per placering"),
    ("Boendestöd Exempel AB (fiktivt)", "UH-2022-031 (demo)",
     "Skyddad adress hanteras enligt kommunens rutin"),
    ("Stiftelsen Påhittad Väg (fiktiv)", "IOP-2023-04 (demo)",
     "Mentorer med utdrag ur belastningsregistret, förnyat varje år"),
)  # fmt: skip
_Deviation = tuple[str, date, ProviderDeviation.Severity, str, str, date | None]
PROVIDER_DEVIATIONS: tuple[_Deviation, ...] = (
    ("Boendestöd Exempel AB (fiktivt)", _D(2024, 2, 6), ProviderDeviation.Severity.serious,
     "Kontaktperson saknades i tre veckor", "", None),
    ("Tatueringsborttagning Test AB (fiktivt)", _D(2023, 10, 2),
     ProviderDeviation.Severity.minor, "Tider ställdes in utan besked",
     "Ny bokningsrutin, uppföljd vid besök", _D(2023, 12, 1)),
)  # fmt: skip

CATEGORY_PROVIDER: dict[SupportOffer.Category, str | None] = {
    SupportOffer.Category.housing: "Boendestöd Exempel AB (fiktivt)",
    SupportOffer.Category.employment: "Arbetsmarknadsenheten Järfälla (demo)",
    SupportOffer.Category.education: None,
    SupportOffer.Category.addiction_care: "Beroendemottagningen Låtsasvik (fiktiv)",
    SupportOffer.Category.psychiatric_care: None,
    SupportOffer.Category.family_support: "Föreningen Fritid Fiktiv (fiktiv)",
    SupportOffer.Category.mentor: "Stiftelsen Påhittad Väg (fiktiv)",
    SupportOffer.Category.debt_counselling: "Skuldrådgivningen Demoby (fiktiv)",
    SupportOffer.Category.relocation: "Boendestöd Exempel AB (fiktivt)",
    SupportOffer.Category.tattoo_removal: "Tatueringsborttagning Test AB (fiktivt)",
    SupportOffer.Category.leisure: "Föreningen Fritid Fiktiv (fiktiv)",
    SupportOffer.Category.other: None,
}

# The joint unit's method catalogue (fictitious judgements of real method names).
ME = Method.Evidence
METHODS: tuple[tuple[str, Method.Evidence, str, str], ...] = (
    ("Multisystemisk terapi (MST)", ME.scientific,
     "Intensiv familjebehandling i hemmet för unga med normbrytande beteende.",
     "SBU:s sammanställning och Socialstyrelsens metodguide (demo)"),
    ("Mentorskap med egen erfarenhet", ME.promising,
     "En mentor som själv lämnat kriminaliteten, en gång i veckan under ett år.",
     "Egen uppföljning 2022–2023 (demo)"),
    ("Motiverande samtal (MI)", ME.scientific,
     "Samtalsmetod för att stärka motivationen till förändring.",
     "SBU-rapport om behandling av missbruk (demo)"),
    ("Fritidsprogram i föreningsregi", ME.not_evaluated,
     "Idrott och fritid tillsammans med en förening.", ""),
)  # fmt: skip

# The outreach log: (municipality, day, channel, people reached, what).
CH = Channel
OUTREACH: tuple[tuple[str, date, Channel, int, str], ...] = (
    ("0123", _D(2023, 2, 14), CH.economic_assistance, 18,
     "Informationsträff för handläggare på ekonomiskt bistånd"),
    ("0123", _D(2023, 9, 5), CH.school, 64, "Föräldramöte på högstadiet"),
    ("0163", _D(2023, 4, 20), CH.addiction_care, 9, "Besök på beroendemottagningen"),
    ("0163", _D(2024, 1, 30), CH.information_meeting, 35, "Öppet informationsmöte"),
    ("0183", _D(2024, 3, 12), CH.web, 120, "Ny sida om avhopparstöd på kommunens webb"),
    ("0183", _D(2024, 5, 7), CH.economic_assistance, 12,
     "Informationsträff för handläggare på ekonomiskt bistånd"),
    ("0191", _D(2024, 2, 22), CH.sis, 6, "Besök på SiS-hem"),
)  # fmt: skip

OUTREACH_UNIT = {"0123": U_JOINT, "0163": U_JOINT, "0183": U_SOC_SUNDBYBERG, "0191": U_SOC_SIGTUNA}

CATEGORY_METHOD: dict[SupportOffer.Category, str] = {
    SupportOffer.Category.family_support: "Multisystemisk terapi (MST)",
    SupportOffer.Category.mentor: "Mentorskap med egen erfarenhet",
    SupportOffer.Category.addiction_care: "Motiverande samtal (MI)",
    SupportOffer.Category.leisure: "Fritidsprogram i föreningsregi",
}

OFFER_CHAINS: dict[OfferStatus, tuple[OfferStatus, ...]] = {
    OfferStatus.offered: (OfferStatus.offered,),
    OfferStatus.accepted: (OfferStatus.offered, OfferStatus.accepted),
    OfferStatus.declined: (OfferStatus.offered, OfferStatus.declined),
    OfferStatus.started: (OfferStatus.offered, OfferStatus.accepted, OfferStatus.started),
    OfferStatus.completed: (
        OfferStatus.offered,
        OfferStatus.accepted,
        OfferStatus.started,
        OfferStatus.completed,
    ),
    OfferStatus.discontinued: (
        OfferStatus.offered,
        OfferStatus.accepted,
        OfferStatus.started,
        OfferStatus.discontinued,
    ),
}

CASE_FLOW: tuple[CaseStatus, ...] = tuple(CaseStatus)


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """Stockholm wall-clock time on ``day`` (stored as UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=_STOCKHOLM)


# --- the loader ------------------------------------------------------------------


def _norm(value: Any) -> Any:
    """One form for a key value, whether it came from Python or from the database."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


class _Loader:
    """Get-or-create by natural key, with one SELECT per table and key."""

    def __init__(self) -> None:
        self.created: Counter[str] = Counter()
        self._index: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], int]] = {}

    async def _keys(self, table: type[Table], cols: tuple[str, ...]) -> dict[tuple[Any, ...], int]:
        slot = (table._meta.tablename, cols)
        if slot not in self._index:
            columns = [table._meta.get_column_by_name(c) for c in cols]
            rows = await table.select(table._meta.primary_key, *columns)
            self._index[slot] = {tuple(_norm(r[c]) for c in cols): r["id"] for r in rows}
        return self._index[slot]

    async def get_or_create(
        self,
        table: type[Table],
        key: Mapping[str, Any],
        values: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    ) -> tuple[int, bool]:
        cols = tuple(key)
        index = await self._keys(table, cols)
        wanted = tuple(_norm(key[c]) for c in cols)
        if wanted in index:
            return index[wanted], False
        extra = values() if callable(values) else (values or {})
        row = table(**key, **extra)
        await row.save()
        row_id = int(row["id"])
        index[wanted] = row_id
        self.created[table._meta.tablename] += 1
        return row_id, True

    async def id_of(
        self,
        table: type[Table],
        key: Mapping[str, Any],
        values: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    ) -> int:
        return (await self.get_or_create(table, key, values))[0]


@dataclass
class _DemoPerson:
    code: str
    municipality: str
    birth_year: int
    protection: Protection
    name: str
    pin: str
    address: str
    phone: str | None
    group: str | None = None
    id: int = 0


@dataclass
class _State:
    loader: _Loader
    rng: random.Random
    municipalities: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    people: list[_DemoPerson] = field(default_factory=list)
    members: dict[str, list[_DemoPerson]] = field(default_factory=dict)
    call_ins: dict[str, int] = field(default_factory=dict)
    promises: list[int] = field(default_factory=list)
    providers: dict[str, int] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=dict)
    incidents: list[tuple[int, date, str, str]] = field(default_factory=list)
    attended: list[_DemoPerson] = field(default_factory=list)


async def load_demo(*, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Load the demo data set; returns the number of rows created per table.

    Idempotent: a second run finds every row by its natural key and creates
    nothing (all counts zero).
    """
    say = progress or (lambda _msg: None)
    state = _State(loader=_Loader(), rng=random.Random(DEMO_SEED))
    engine = Municipality._meta.db
    async with write_transaction(engine):
        say("kommuner och enheter")
        await _municipalities_and_units(state)
        say("användare")
        await _users(state)
        say("grupper och relationer")
        await _groups(state)
        say("personer och identiteter (krypterade)")
        await _people(state)
        say("händelser")
        await _incidents(state)
        say("call-ins, inbjudningar och individuella underrättelser")
        notifications = await _call_ins(state)
        say("polisiära åtgärder")
        await _enforcement(state)
        say("utförare och insatser")
        await _providers(state)
        cases = await _defector_cases(state)
        say("ärendeplaner och SIP")
        await _case_plans(state, cases)
        say("överföringar mellan enheter")
        await _transfers(state, cases)
        say("erbjudanden om stöd")
        await _offers(state, notifications, cases)
        say("utlämnanden och uppgifter")
        await _disclosures_and_tasks(state, notifications, cases)
    created = dict(state.loader.created)
    say(f"klart: {sum(created.values())} rader skapade")
    return created


async def _municipalities_and_units(s: _State) -> None:
    ld = s.loader
    # Reference data (SCB's list, loaded by `gvi migrate`): looked up, never created.
    s.municipalities.update(await reference_ids([code for _, code in NORTHWEST]))
    for name, kind, agency, home, served in UNITS:
        unit_id = await ld.id_of(
            Unit,
            {"name": name},
            {"kind": kind, "agency": agency, "municipality": s.municipalities[home]},
        )
        s.units[name] = unit_id
        for code in served:
            await ld.id_of(
                UnitMunicipality, {"unit": unit_id, "municipality": s.municipalities[code]}
            )


async def _users(s: _State) -> None:
    from gvi.accounts import totp
    from gvi.accounts.passwords import hash_password

    ld = s.loader
    for u in DEMO_USERS:

        def new_user(u: DemoUser = u) -> dict[str, Any]:
            # Hashed only when the account is created: argon2id is deliberately slow.
            return {
                "display_name": u.display_name,
                "role": u.role,
                "unit": s.units[u.unit],
                "password_hash": hash_password(u.password),
                "password_changed_at": datetime(2022, 1, 10, 8, 0, tzinfo=UTC),
                "unit_lead": u.unit_lead,
            }

        user_id, created = await ld.get_or_create(User, {"username": u.username}, new_user)
        s.users[u.username] = user_id
        if created:
            sealed = totp.seal_secret(u.totp_secret, user_id)
            await User.update({User.totp_secret_enc: sealed}).where(
                User._meta.primary_key == user_id
            )
            for i, code in enumerate(u.recovery_codes):
                await RecoveryCode(
                    user=user_id,
                    code_hash=totp.hash_recovery_code(code),
                    # The first code of each pair shows what a spent code looks like.
                    used_at=datetime(2023, 3, 1, 8, 0, tzinfo=UTC) if i == 0 else None,
                ).save()
                ld.created[RecoveryCode._meta.tablename] += 1
        for code in u.municipality_codes:
            await ld.id_of(
                UserMunicipality, {"user": user_id, "municipality": s.municipalities[code]}
            )
        for unit in u.joint_units:
            await ld.id_of(UserUnit, {"user": user_id, "unit": s.units[unit]})


async def _groups(s: _State) -> None:
    ld = s.loader
    recorder = s.users.get("polis")
    for name, code, area, status, aliases, notes in GROUPS:
        group_id = await ld.id_of(
            Group,
            {"name": name},
            {
                "municipality": s.municipalities[code],
                "area": area,
                "status": status,
                "notes": notes,
                "recorded_by": recorder,
            },
        )
        s.groups[name] = group_id
        for alias in aliases:
            await ld.id_of(GroupAlias, {"group": group_id, "alias": alias})
    for src, dst, kind, intensity, confidence, start, end, review, source in RELATIONS:
        await ld.id_of(
            GroupRelation,
            {
                "source_group": s.groups[src],
                "target_group": s.groups[dst],
                "kind": kind,
                "valid_from": start,
            },
            {
                "intensity": intensity,
                "confidence": confidence,
                "valid_to": end,
                "review_by": review,
                "source": source,
                "recorded_by": recorder,
            },
        )


def _group_home(name: str) -> str:
    return next(code for g, code, *_ in GROUPS if g == name)


def _make_people(rng: random.Random) -> list[_DemoPerson]:
    taken: set[str] = set()
    people: list[_DemoPerson] = []
    neighbours = [code for _, code in NORTHWEST]
    plan: list[tuple[str | None, str]] = []
    for name, count in MEMBER_COUNTS:
        plan += [(name, _group_home(name))] * count
    for code, count in UNAFFILIATED.items():
        plan += [(None, code)] * count
    for i, (group, home) in enumerate(plan):
        municipality = home if rng.random() < 0.8 else rng.choice(neighbours)
        young = group == "Testfalkarna Junior"
        birth_year = rng.randint(2006, 2008) if young else rng.randint(1994, 2006)
        people.append(
            _DemoPerson(
                code=person_code(rng, taken),
                municipality=municipality,
                birth_year=birth_year,
                protection=Protection.none,
                name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {rng.choice(SURNAMES)}",
                pin=fictional_pin(rng, birth_year),
                address=fictional_address(rng),
                phone=FICTION_PHONES[i] if i < len(FICTION_PHONES) else None,
                group=group,
            )
        )
    # Protected personal data: two with skyddad folkbokföring, two with sekretessmarkering.
    offsets: dict[str, int] = {}
    for i, p in enumerate(people):
        if p.group is not None:
            offsets.setdefault(p.group, i)
    for group, index, level in PROTECTED:
        people[offsets[group] + index].protection = level
    return people


async def _people(s: _State) -> None:
    ld = s.loader
    keyring = get_keyring()
    s.people = _make_people(s.rng)
    for p in s.people:
        person_id, created = await ld.get_or_create(
            Person,
            {"code": p.code},
            {
                "home_municipality": s.municipalities[p.municipality],
                "birth_year": p.birth_year,
                "protection": p.protection,
            },
        )
        p.id = person_id
        if created:

            def enc(column: str, text: str | None, person_id: int = person_id) -> bytes | None:
                if text is None:
                    return None
                return keyring.encrypt(text, aad("person_identity", column, person_id))

            await ld.id_of(
                PersonIdentity,
                {"person": person_id},
                {
                    "name_enc": enc("name", p.name),
                    "pin_enc": enc("pin", p.pin),
                    "address_enc": enc("address", p.address),
                    "phone_enc": enc("phone", p.phone),
                    "pin_index": keyring.blind_index(p.pin),
                    "key_id": keyring.active_id,
                },
            )
        if p.group:
            s.members.setdefault(p.group, []).append(p)
    await _memberships(s)


async def _memberships(s: _State) -> None:
    ld = s.loader
    rng = s.rng
    recorder = s.users.get("polis")
    roles = Membership.Role
    for group, members in s.members.items():
        for i, p in enumerate(members):
            role = (
                roles.leader
                if i == 0
                else roles.core
                if i < 3
                else roles.associate
                if i >= len(members) - 2
                else roles.member
            )
            confidence = rng.choice((C.high, C.high, C.medium, C.medium, C.low))
            review = rng.choice((_D(2024, 5, 31), _D(2024, 11, 30), _D(2027, 6, 30)))
            source = rng.choice(MEMBERSHIP_SOURCES)
            start = _D(2021, 1, 1) + timedelta(days=rng.randint(0, 540))
            end: date | None = None
            if group == "Exempelnätverket Splittrat":
                # The splinter's people came from Väst: the old membership ends the day before.
                await ld.id_of(
                    Membership,
                    {
                        "person": p.id,
                        "group": s.groups["Exempelnätverket Väst"],
                        "valid_from": start,
                    },
                    {
                        "role": roles.member,
                        "confidence": confidence,
                        "valid_to": _D(2023, 5, 31),
                        "source": source,
                        "recorded_by": recorder,
                    },
                )
                start = _D(2023, 6, 1)
            elif group == "Sagonätverket":
                end = _D(2022, 12, 31)
            elif rng.random() < 0.08:
                end = _D(2024, 1, 1) + timedelta(days=rng.randint(0, 300))
            await ld.id_of(
                Membership,
                {"person": p.id, "group": s.groups[group], "valid_from": start},
                {
                    "role": role,
                    "confidence": confidence,
                    "valid_to": end,
                    "review_by": review,
                    "source": source,
                    "recorded_by": recorder,
                },
            )
            if group == "Sagonätverket" and i < 2:
                # After the dissolution two went over to the old rival.
                await ld.id_of(
                    Membership,
                    {"person": p.id, "group": s.groups["Demoligan"], "valid_from": _D(2023, 2, 1)},
                    {
                        "role": roles.associate,
                        "confidence": C.low,
                        "review_by": _D(2024, 2, 1),
                        "source": "Uppgift vid samtal med socialtjänsten (fiktiv)",
                        "recorded_by": recorder,
                    },
                )


# (day, hour, kind, harm, suspected group, victim group, place, motive, review status)
IK = Incident.Kind
IH = Incident.Harm
IR = Incident.ReviewStatus
_IncidentSpec = tuple[
    date, int, Incident.Kind, Incident.Harm, str, str, str, str, Incident.ReviewStatus
]
INCIDENTS: tuple[_IncidentSpec, ...] = (
    (_D(2022, 2, 19), 22, IK.shooting, IH.injured, "Demoligan", "Sagonätverket",
     "Parkeringsplats vid Demoskolan", "Revir i Centrum (demo)", IR.reviewed),
    (_D(2022, 3, 30), 19, IK.threat, IH.none, "Fiktiva Falkarna", "Demoligan",
     "Sociala medier", "Hämnd för misshandel (fiktivt)", IR.reviewed),
    (_D(2022, 5, 14), 23, IK.stabbing, IH.injured, "Sagonätverket", "Demoligan",
     "Utanför en fiktiv pizzeria", "Revir (fiktivt)", IR.reviewed),
    (_D(2022, 7, 2), 1, IK.explosion, IH.property, "Demoligan", "Fiktiva Falkarna",
     "Port, Testgatan (demo)", "Skuld (fiktivt)", IR.reviewed),
    (_D(2022, 8, 21), 21, IK.shooting, IH.none, "Fiktiva Falkarna", "Demoligan",
     "Gångtunnel vid Exempeltorget", "Vedergällning (fiktivt)", IR.reviewed),
    (_D(2022, 10, 8), 20, IK.stabbing, IH.injured, "Uppdiktade Ugglorna", "Fiktiva Falkarna",
     "Busshållplats Påhittade torget", "Okänt", IR.reviewed),
    (_D(2022, 11, 26), 2, IK.shooting, IH.killed, "Demoligan", "Sagonätverket",
     "Trapphus, Sagovägen (demo)", "Revir och skuld (fiktivt)", IR.reviewed),
    (_D(2022, 12, 12), 18, IK.threat, IH.none, "Skenbara Skaran", "Låtsaskartellen",
     "Skolgård (demo)", "Konflikt om försäljning (fiktivt)", IR.reviewed),
    (_D(2023, 2, 14), 22, IK.shooting, IH.injured, "Låtsaskartellen", "Demoligan",
     "Låtsasparken", "Narkotikaskuld (fiktivt)", IR.reviewed),
    (_D(2023, 3, 3), 3, IK.explosion, IH.property, "Demoligan", "Låtsaskartellen",
     "Entré, Låtsasallén (demo)", "Vedergällning (fiktivt)", IR.reviewed),
    (_D(2023, 4, 16), 20, IK.stabbing, IH.injured, "Testgänget Nord", "Fiktiva Falkarna",
     "Köpcentrum Norra Testhöjden", "Brutet samarbete (fiktivt)", IR.reviewed),
    (_D(2023, 5, 27), 23, IK.shooting, IH.injured, "Fiktiva Falkarna", "Testgänget Nord",
     "Idrottsplats (demo)", "Vedergällning (fiktivt)", IR.reviewed),
    (_D(2023, 6, 20), 21, IK.threat, IH.none, "Exempelnätverket Splittrat", "Exempelnätverket Väst",
     "Sociala medier", "Splittringen (fiktivt)", IR.reviewed),
    (_D(2023, 7, 9), 1, IK.shooting, IH.none, "Exempelnätverket Väst", "Exempelnätverket Splittrat",
     "Norra Exempelby, lekplats", "Splittringen (fiktivt)", IR.reviewed),
    (_D(2023, 8, 19), 22, IK.explosion, IH.property, "Exempelnätverket Splittrat",
     "Exempelnätverket Väst", "Port, Exempelstigen (demo)", "Splittringen (fiktivt)", IR.reviewed),
    (_D(2023, 9, 5), 17, IK.stabbing, IH.injured, "Exempelgänget Öst", "Testgänget Nord",
     "Pendeltågsstation (demo)", "Skolkonflikt (fiktivt)", IR.reviewed),
    # After the call-in (2023-10-12): the promise is kept against Demoligan.
    (_D(2023, 11, 4), 21, IK.shooting, IH.injured, "Demoligan", "Låtsaskartellen",
     "Utanför en fiktiv pizzeria", "Fortsatt konflikt (fiktivt)", IR.reviewed),
    (_D(2023, 12, 2), 2, IK.explosion, IH.property, "Låtsaskartellen", "Demoligan",
     "Trapphus, Demovägen (demo)", "Vedergällning (fiktivt)", IR.reviewed),
    (_D(2024, 1, 21), 19, IK.threat, IH.none, "Exempelnätverket Väst", "Exempelnätverket Splittrat",
     "Sociala medier", "Splittringen (fiktivt)", IR.reviewed),
    (_D(2024, 3, 9), 22, IK.shooting, IH.killed, "Testgänget Nord", "Fiktiva Falkarna",
     "Gångväg vid Påhittade torget", "Vedergällning (fiktivt)", IR.in_review),
    (_D(2024, 4, 13), 20, IK.stabbing, IH.injured, "Testfalkarna Junior", "Testgänget Nord",
     "Skolgård (demo)", "Vedergällning (fiktivt)", IR.in_review),
    (_D(2024, 5, 25), 23, IK.shooting, IH.none, "Exempelnätverket Splittrat",
     "Exempelnätverket Väst", "Västra Exempelby, parkering", "Splittringen (fiktivt)", IR.reviewed),
    (_D(2024, 6, 30), 1, IK.explosion, IH.property, "Fiktiva Falkarna", "Testgänget Nord",
     "Bil, Norra Testhöjden", "Vedergällning (fiktivt)", IR.in_review),
    (_D(2024, 8, 17), 21, IK.threat, IH.none, "Exempelgänget Öst", "Testgänget Nord",
     "Sociala medier", "Okänt", IR.new),
    (_D(2024, 9, 14), 22, IK.shooting, IH.injured, "Demoligan", "Låtsaskartellen",
     "Låtsasparken", "Fortsatt konflikt (fiktivt)", IR.in_review),
    (_D(2024, 10, 26), 0, IK.stabbing, IH.injured, "Skenbara Skaran", "Fiktionsfalangen",
     "Färjeläge (demo)", "Okänt", IR.new),
    (_D(2024, 11, 23), 20, IK.other, IH.property, "Demokollektivet", "Exempelgänget Öst",
     "Bro centrum (demo)", "Skadegörelse (fiktivt)", IR.new),
    (_D(2024, 12, 7), 23, IK.shooting, IH.none, "Testgänget Nord", "Testfalkarna Junior",
     "Idrottsplats (demo)", "Okänt", IR.new),
)  # fmt: skip


def _active_members(s: _State, group: str, on: date) -> list[_DemoPerson]:
    # Approximation good enough for the demo: the Splittrat people left Väst in 2023-06.
    members = list(s.members.get(group, []))
    if group == "Exempelnätverket Väst" and on < _D(2023, 6, 1):
        members += s.members.get("Exempelnätverket Splittrat", [])
    if group == "Sagonätverket" and on > _D(2022, 12, 31):
        return []
    return members


async def _incidents(s: _State) -> None:
    ld = s.loader
    rng = s.rng
    recorder = s.users.get("polis")
    bystanders = [p for p in s.people if p.group is None]
    for day, hour, kind, harm, suspected, victim, place, motive, review in INCIDENTS:
        municipality = _group_home(victim)
        area = next(a for g, _c, a, *_ in GROUPS if g == victim)
        incident_id = await ld.id_of(
            Incident,
            {"occurred_at": _at(day, hour, 10), "municipality": s.municipalities[municipality]},
            {
                "area": area,
                "place": place,
                "kind": kind,
                "harm": harm,
                "motive": motive,
                "review_status": review,
                "review_notes": "Genomgången vid incidentgranskning (fiktiv)."
                if review == IR.reviewed
                else "",
                "recorded_by": recorder,
            },
        )
        s.incidents.append((incident_id, day, suspected, victim))
        await ld.id_of(
            IncidentGroup,
            {
                "incident": incident_id,
                "group": s.groups[suspected],
                "role": IncidentGroup.Role.suspected,
            },
        )
        await ld.id_of(
            IncidentGroup,
            {"incident": incident_id, "group": s.groups[victim], "role": IncidentGroup.Role.victim},
        )
        suspects = _active_members(s, suspected, day)
        victims = _active_members(s, victim, day)
        linked: list[tuple[_DemoPerson, IncidentPerson.Role]] = []
        if suspects:
            linked += [
                (p, IncidentPerson.Role.suspect)
                for p in rng.sample(suspects, min(2, len(suspects)))
            ]
        if victims and harm in (IH.injured, IH.killed):
            linked.append((rng.choice(victims), IncidentPerson.Role.victim))
        if rng.random() < 0.3 and bystanders:
            linked.append((rng.choice(bystanders), IncidentPerson.Role.witness))
        for p, role in linked:
            await ld.id_of(IncidentPerson, {"incident": incident_id, "person": p.id, "role": role})


async def _call_ins(s: _State) -> list[tuple[int, _DemoPerson, date, Notification.Outcome]]:
    ld = s.loader
    rng = s.rng
    coordinator = s.users.get("samordnare")
    held_day = _D(2023, 10, 12)
    planned_day = _D(2027, 3, 11)
    for title, day, code, venue, status in (
        (CALLIN_HELD, held_day, "0123", "Medborgarhuset i Exempelby (demo)", CallIn.Status.held),
        (CALLIN_PLANNED, planned_day, "0163", "Påhittade torgets samlingslokal (demo)",
         CallIn.Status.planned),
    ):  # fmt: skip
        s.call_ins[title] = await ld.id_of(
            CallIn,
            {"title": title},
            {
                "starts_at": _at(day, 17),
                "ends_at": _at(day, 19),
                "venue": venue,
                "municipality": s.municipalities[code],
                "capacity": 20,
                "status": status,
                "message": MESSAGE,
                "created_by": coordinator,
            },
        )
    for title, role, name, organisation in SPEAKERS:
        await ld.id_of(
            CallInSpeaker,
            {"call_in": s.call_ins[title], "name": name},
            {"role": role, "organisation": organisation},
        )
    for title in (CALLIN_HELD, CALLIN_PLANNED):
        for position, text in enumerate(PROMISES, start=1):
            promise_id = await ld.id_of(
                Promise, {"call_in": s.call_ins[title], "position": position}, {"text": text}
            )
            if title == CALLIN_HELD:
                s.promises.append(promise_id)

    IS = Invitation.Status
    held_invitees: list[tuple[_DemoPerson, str]] = []
    for group, count in (
        ("Demoligan", 5),
        ("Exempelnätverket Väst", 4),
        ("Exempelnätverket Splittrat", 3),
        ("Demokollektivet", 2),
    ):
        held_invitees += [(p, group) for p in s.members[group][:count]]
    held_statuses = [IS.attended] * 9 + [IS.no_show] * 3 + [IS.excused] * 2
    rng.shuffle(held_statuses)
    for (p, group), invitation_status in zip(held_invitees, held_statuses, strict=True):
        if invitation_status == IS.attended:
            s.attended.append(p)
        override = (
            "Medvetet val: båda sidor i splittringen ska höra samma budskap (fiktivt)."
            if group == "Exempelnätverket Splittrat"
            else ""
        )
        await ld.id_of(
            Invitation,
            {"call_in": s.call_ins[CALLIN_HELD], "person": p.id},
            {"group": s.groups[group], "status": invitation_status, "override_reason": override},
        )
    planned_invitees = [(p, "Fiktiva Falkarna") for p in s.members["Fiktiva Falkarna"][:5]]
    planned_invitees += [(p, "Testfalkarna Junior") for p in s.members["Testfalkarna Junior"][:3]]
    planned_invitees += [(p, "Uppdiktade Ugglorna") for p in s.members["Uppdiktade Ugglorna"][:2]]
    for i, (p, group) in enumerate(planned_invitees):
        invitation_status = IS.confirmed if i % 3 == 0 else IS.excused if i == 7 else IS.invited
        await ld.id_of(
            Invitation,
            {"call_in": s.call_ins[CALLIN_PLANNED], "person": p.id},
            {"group": s.groups[group], "status": invitation_status},
        )

    # Custom notifications: people not at the call-in, plus those the police point out.
    NO = Notification.Outcome
    notified: list[tuple[int, _DemoPerson, date, Notification.Outcome]] = []
    plan: tuple[tuple[str, int, date, Notification.Outcome], ...] = (
        ("Demoligan", 6, _D(2023, 10, 26), NO.delivered),
        ("Demoligan", 7, _D(2023, 11, 9), NO.delivered),
        ("Exempelnätverket Väst", 5, _D(2023, 10, 30), NO.refused),
        ("Exempelnätverket Väst", 6, _D(2023, 11, 14), NO.delivered),
        ("Låtsaskartellen", 1, _D(2023, 11, 20), NO.delivered),
        ("Låtsaskartellen", 2, _D(2023, 11, 20), NO.not_found),
        ("Testgänget Nord", 1, _D(2024, 3, 20), NO.delivered),
        ("Testgänget Nord", 2, _D(2024, 3, 21), NO.refused),
        ("Fiktiva Falkarna", 6, _D(2024, 4, 2), NO.delivered),
        ("Exempelgänget Öst", 1, _D(2024, 9, 3), NO.delivered),
        ("Testgänget Nord", 3, _D(2027, 1, 20), NO.planned),
        ("Demoligan", 8, _D(2027, 1, 27), NO.planned),
    )
    for group, index, day, outcome in plan:
        p = s.members[group][index]
        municipality = _group_home(group)
        notification_id = await ld.id_of(
            Notification,
            {"person": p.id, "delivered_on": day},
            {
                "municipality": s.municipalities[municipality],
                "delivered_by": "Polisen och socialtjänsten (fiktivt)",
                "outcome": outcome,
                "offer_made": "Kontakt med avhopparverksamheten, stöd till boende och arbete."
                if outcome != NO.planned
                else "",
                "follow_up_due": day + timedelta(days=14),
                "created_by": coordinator,
            },
        )
        notified.append((notification_id, p, day, outcome))
    return notified


async def _enforcement(s: _State) -> None:
    ld = s.loader
    recorder = s.users.get("polis")
    EA = EnforcementAction
    by_day = {day: (incident_id, suspected) for incident_id, day, suspected, _v in s.incidents}
    # (triggering incident's day, group, promise position, agency, kind, date, status, notes)
    actions: tuple[
        tuple[
            date | None,
            str,
            int | None,
            EnforcementAction.Agency,
            EnforcementAction.Kind,
            date,
            EnforcementAction.Status,
            str,
        ],
        ...,
    ] = (
        (_D(2022, 11, 26), "Demoligan", None, EA.Agency.police, EA.Kind.search, _D(2022, 11, 29),
         EA.Status.done, "Husrannsakan hos två misstänkta (fiktivt)."),
        (_D(2023, 2, 14), "Låtsaskartellen", None, EA.Agency.police, EA.Kind.traffic_control,
         _D(2023, 2, 20), EA.Status.done, ""),
        (_D(2023, 11, 4), "Demoligan", 1, EA.Agency.police, EA.Kind.arrest, _D(2023, 11, 6),
         EA.Status.done, "Gripande av misstänkt skytt (fiktivt)."),
        (_D(2023, 11, 4), "Demoligan", 2, EA.Agency.police, EA.Kind.search, _D(2023, 11, 8),
         EA.Status.done, "Husrannsakan hos gruppens kärna (fiktivt)."),
        (_D(2023, 11, 4), "Demoligan", 2, EA.Agency.probation, EA.Kind.probation_check,
         _D(2023, 11, 10), EA.Status.done, "Skärpta kontroller av villkor (fiktivt)."),
        (_D(2023, 11, 4), "Demoligan", 2, EA.Agency.tax_agency, EA.Kind.other, _D(2023, 11, 24),
         EA.Status.done, "Granskning av ekonomi (fiktivt)."),
        (_D(2023, 11, 4), "Demoligan", 1, EA.Agency.police, EA.Kind.traffic_control,
         _D(2023, 11, 17), EA.Status.done, ""),
        (_D(2023, 12, 2), "Låtsaskartellen", None, EA.Agency.police, EA.Kind.seizure,
         _D(2023, 12, 5), EA.Status.done, "Beslag av mobiltelefoner (fiktivt)."),
        (_D(2024, 9, 14), "Demoligan", 1, EA.Agency.police, EA.Kind.arrest, _D(2024, 9, 16),
         EA.Status.done, ""),
        (_D(2024, 9, 14), "Demoligan", 2, EA.Agency.customs, EA.Kind.seizure, _D(2024, 9, 30),
         EA.Status.cancelled, "Ersatt av annan åtgärd (fiktivt)."),
        (_D(2024, 3, 9), "Testgänget Nord", None, EA.Agency.prosecutor, EA.Kind.other,
         _D(2024, 3, 12), EA.Status.done, "Häktningsframställan (fiktivt)."),
        (None, "Exempelnätverket Splittrat", None, EA.Agency.police, EA.Kind.traffic_control,
         _D(2027, 2, 15), EA.Status.planned, "Planerad riktad kontroll (fiktivt)."),
    )  # fmt: skip
    for trigger_day, group, position, agency, kind, day, status, notes in actions:
        incident_id = by_day[trigger_day][0] if trigger_day else None
        group_id = s.groups[group]
        await ld.id_of(
            EnforcementAction,
            {"group": group_id, "action_date": day, "kind": kind},
            {
                "municipality": s.municipalities[_group_home(group)],
                "triggering_incident": incident_id,
                "promise": s.promises[position - 1] if position else None,
                "agency": agency,
                "status": status,
                "notes": notes,
                "recorded_by": recorder,
            },
        )


async def _providers(s: _State) -> None:
    ld = s.loader
    checker = s.users.get("socialsekreterare")
    for name, kind, services, contract, code in PROVIDERS:
        s.providers[name] = await ld.id_of(
            Provider,
            {"name": name},
            {
                "kind": kind,
                "services": services,
                "contract_reference": contract,
                "municipality": s.municipalities[code] if code else None,
            },
        )
    for name, day, what, result in PROVIDER_CHECKS:
        await ld.id_of(
            ProviderCheck,
            {"provider": s.providers[name], "checked_on": day},
            {"what": what, "result": result, "checked_by": checker},
        )
    for name, agreement, requirement in PROVIDER_REQUIREMENTS:
        await ld.id_of(
            ProviderRequirement,
            {"provider": s.providers[name], "requirement": requirement},
            {"agreement": agreement},
        )
    for name, day, severity, description, measures, closed in PROVIDER_DEVIATIONS:
        await ld.id_of(
            ProviderDeviation,
            {"provider": s.providers[name], "reported_on": day},
            {
                "severity": severity,
                "description": description,
                "measures": measures,
                "closed_on": closed,
                "reported_by": checker,
            },
        )
    for code, day, channel, reached, title in OUTREACH:
        await ld.id_of(
            OutreachActivity,
            {"municipality": s.municipalities[code], "held_on": day, "channel": channel},
            {"unit": s.units[OUTREACH_UNIT[code]], "people_reached": reached, "title": title},
        )
    for name, evidence, description, source in METHODS:
        s.methods[name] = await ld.id_of(
            Method,
            {"unit": s.units[U_JOINT], "name": name},
            {"evidence": evidence, "description": description, "evidence_source": source},
        )


@dataclass(frozen=True)
class _CaseSpec:
    reference: str
    group: str
    index: int  # which member of the group
    unit: str
    status: CaseStatus
    opened: date
    police_track: bool
    referral: DefectorCase.ReferralSource
    environment: DefectorCase.Environment = DefectorCase.Environment.criminal_network
    is_child: bool = False
    is_witness: bool = False
    threat: DefectorCase.Threat = DefectorCase.Threat.medium
    outcome: DefectorCase.Outcome | None = None
    consents: tuple[tuple[ConsentAgency, date | None], ...] = ()  # (agency, withdrawn_on)
    grants: tuple[tuple[date, str, GrantApplication.Decision, str | None], ...] = ()
    needs: tuple[CaseNeed.Need, ...] = ()
    notes: str = ""


RS = DefectorCase.ReferralSource
CA = ConsentAgency
N = CaseNeed.Need
GD = GrantApplication.Decision
CS = CaseStatus
OUT = DefectorCase.Outcome

CASES: tuple[_CaseSpec, ...] = (
    _CaseSpec("AH-2022-0001", "Sagonätverket", 2, U_JOINT, CS.closed, _D(2022, 3, 7), True,
              RS.self_referral, threat=DefectorCase.Threat.high, outcome=OUT.completed,
              consents=((CA.police, None), (CA.social_services, None), (CA.probation, None)),
              grants=((_D(2022, 4, 20), "240000.00", GD.granted, "210000.00"),),
              needs=(N.housing, N.protection, N.employment)),
    _CaseSpec("AH-2022-0002", "Demoligan", 9, U_JOINT, CS.closed, _D(2022, 6, 13), False,
              RS.economic_assistance, threat=DefectorCase.Threat.low, outcome=OUT.dropped_out,
              consents=((CA.social_services, None),), needs=(N.debt, N.employment)),
    _CaseSpec("AH-2022-0003", "Fiktiva Falkarna", 8, U_JOINT, CS.closed, _D(2022, 9, 5), True,
              RS.police, threat=DefectorCase.Threat.high, outcome=OUT.moved,
              consents=((CA.police, None), (CA.social_services, None)),
              grants=((_D(2022, 10, 3), "180000.00", GD.granted, "180000.00"),),
              needs=(N.housing, N.protection, N.family)),
    _CaseSpec("AH-2022-0004", "Testgänget Nord", 6, U_SOC_SIGTUNA, CS.closed, _D(2022, 10, 24),
              False, RS.probation, threat=DefectorCase.Threat.medium, outcome=OUT.other,
              consents=((CA.social_services, None), (CA.probation, None)),
              needs=(N.addiction, N.housing), notes="Flyttade till annan kommun (fiktivt)."),
    _CaseSpec("AH-2023-0001", "Exempelnätverket Väst", 7, U_JOINT, CS.follow_up, _D(2023, 1, 16),
              True, RS.self_referral, threat=DefectorCase.Threat.high,
              consents=((CA.police, None), (CA.social_services, None),
                        (CA.employment_service, None)),
              grants=((_D(2023, 3, 1), "220000.00", GD.granted, "195000.00"),),
              needs=(N.housing, N.employment, N.debt, N.protection)),
    _CaseSpec("AH-2023-0002", "Demoligan", 10, U_JOINT, CS.interventions, _D(2023, 3, 20), True,
              RS.police, threat=DefectorCase.Threat.high,
              consents=((CA.police, None), (CA.social_services, None), (CA.healthcare, None)),
              grants=((_D(2023, 5, 8), "260000.00", GD.granted, "260000.00"),
                      (_D(2024, 5, 6), "120000.00", GD.rejected, None)),
              needs=(N.housing, N.psychiatric, N.protection)),
    _CaseSpec("AH-2023-0003", "Exempelnätverket Splittrat", 4, U_JOINT, CS.interventions,
              _D(2023, 8, 28), True, RS.addiction_care, threat=DefectorCase.Threat.medium,
              consents=((CA.police, _D(2023, 12, 1)), (CA.social_services, None)),
              needs=(N.addiction, N.housing),
              notes="Återkallade samtycket till polisen; fortsätter som socialtjänstärende."),
    _CaseSpec("AH-2023-0004", "Testfalkarna Junior", 3, U_JOINT, CS.agreement, _D(2023, 10, 2),
              False, RS.school, is_child=True, threat=DefectorCase.Threat.medium,
              consents=((CA.social_services, None), (CA.school, None)),
              needs=(N.education, N.family)),
    _CaseSpec("AH-2023-0005", "Låtsaskartellen", 5, U_SOC_SUNDBYBERG, CS.closed, _D(2023, 4, 11),
              True, RS.sis, threat=DefectorCase.Threat.high, outcome=OUT.completed,
              consents=((CA.police, None), (CA.social_services, None), (CA.probation, None)),
              grants=((_D(2023, 5, 29), "150000.00", GD.granted, "120000.00"),),
              needs=(N.housing, N.employment)),
    _CaseSpec("AH-2023-0006", "Demoligan", 11, U_JOINT, CS.investigation, _D(2023, 11, 13), False,
              RS.police, is_witness=True, threat=DefectorCase.Threat.high,
              consents=((CA.police, None), (CA.social_services, None)),
              needs=(N.protection, N.housing),
              notes="Vittne i pågående mål: uppfyller inte polisens definition (fiktivt)."),
    _CaseSpec("AH-2024-0001", "Testgänget Nord", 7, U_SOC_SIGTUNA, CS.risk_assessment,
              _D(2024, 2, 19), True, RS.self_referral, threat=DefectorCase.Threat.medium,
              consents=((CA.police, None), (CA.social_services, None)),
              grants=((_D(2024, 4, 15), "200000.00", GD.pending, None),),
              needs=(N.housing, N.debt)),
    _CaseSpec("AH-2024-0002", "Exempelnätverket Väst", 8, U_JOINT, CS.consent, _D(2024, 5, 6),
              False, RS.other, environment=DefectorCase.Environment.violent_extremism,
              threat=DefectorCase.Threat.unknown, consents=((CA.social_services, None),),
              needs=(N.employment,)),
    _CaseSpec("AH-2024-0003", "Demokollektivet", 3, U_JOINT, CS.motivation_assessment,
              _D(2024, 9, 9), False, RS.economic_assistance,
              environment=DefectorCase.Environment.honour_related,
              threat=DefectorCase.Threat.unknown, needs=(N.family,)),
    _CaseSpec("AH-2024-0004", "Modellgruppen 0191", 1, U_SOC_SIGTUNA, CS.contact,
              _D(2024, 11, 18), False, RS.self_referral, threat=DefectorCase.Threat.unknown),
)  # fmt: skip

# Persons at these (group, index) slots carry protected personal data (see _make_people).


async def _defector_cases(s: _State) -> list[tuple[int, _DemoPerson, _CaseSpec]]:
    ld = s.loader
    rng = s.rng
    caseworkers = {
        U_JOINT: s.users.get("socialsekreterare"),
        U_SOC_SIGTUNA: s.users.get("socialsekreterare-sigtuna"),
        U_SOC_SUNDBYBERG: None,
    }
    out: list[tuple[int, _DemoPerson, _CaseSpec]] = []
    FU = CaseFollowUp.Level
    for spec in CASES:
        p = s.members[spec.group][spec.index]
        final = CASE_FLOW.index(spec.status)
        day = spec.opened
        history: list[tuple[CaseStatus, date]] = []
        for step in CASE_FLOW[: final + 1]:
            history.append((step, day))
            day = day + timedelta(days=rng.randint(10, 45))
        closed_on = history[-1][1] if spec.status == CS.closed else None
        police_ok = spec.police_track and not any(w for _a, w in spec.consents)
        case_id = await ld.id_of(
            DefectorCase,
            {"reference": spec.reference},
            {
                "person": p.id,
                "municipality": s.municipalities[p.municipality],
                "unit": s.units[spec.unit],
                "caseworker": caseworkers.get(spec.unit),
                "status": spec.status,
                "referral_source": spec.referral,
                "environment": spec.environment,
                "is_child": spec.is_child,
                "opened_on": spec.opened,
                "closed_on": closed_on,
                "closure_outcome": spec.outcome,
                "social_services_eligible": None if final < 4 else True,
                "motivated": None if final < 1 else spec.outcome != OUT.dropped_out,
                "is_witness": spec.is_witness,
                "threat_level": spec.threat,
                "threat_assessed_on": history[3][1] if final >= 3 else None,
                "police_track_active": police_ok and spec.status != CS.closed,
                "psychiatric_collaboration": N.psychiatric in spec.needs,
                "notes": spec.notes,
            },
        )
        out.append((case_id, p, spec))
        previous: CaseStatus | None = None
        for step, when in history:
            await ld.id_of(
                CaseStatusChange,
                {"case": case_id, "to_status": step},
                {
                    "from_status": previous,
                    "changed_at": _at(when, 10),
                    "changed_by": caseworkers.get(spec.unit),
                    "reason": OUT_REASON.get(spec.outcome, "") if step == CS.closed else "",
                },
            )
            previous = step
        consent_day = history[min(2, final)][1]
        for agency, withdrawn in spec.consents:
            await ld.id_of(
                CaseConsent,
                {"case": case_id, "agency": agency},
                {"given_on": consent_day, "withdrawn_on": withdrawn},
            )
        for applied, amount, decision, granted in spec.grants:
            await ld.id_of(
                GrantApplication,
                {"case": case_id, "applied_on": applied},
                {
                    "amount_applied": Decimal(amount),
                    "decision": decision,
                    "decided_on": applied + timedelta(days=35) if decision != GD.pending else None,
                    "amount_granted": Decimal(granted) if granted else None,
                },
            )
        for i, need in enumerate(spec.needs):
            met = final >= CASE_FLOW.index(CS.follow_up) and i % 2 == 0
            await ld.id_of(
                CaseNeed,
                {"case": case_id, "need": need},
                {
                    "assessed_on": history[min(4, final)][1],
                    "met_on": history[-1][1] if met else None,
                },
            )
        phases: list[tuple[CaseFollowUp.Phase, int]] = []
        if final >= CASE_FLOW.index(CS.agreement):
            phases.append((CaseFollowUp.Phase.before, 0))
        if final >= CASE_FLOW.index(CS.interventions):
            phases.append((CaseFollowUp.Phase.during, 6))
        if final >= CASE_FLOW.index(CS.follow_up):
            phases.append((CaseFollowUp.Phase.after, 12))
        for phase, months in phases:
            better = {CaseFollowUp.Phase.before: 0, CaseFollowUp.Phase.during: 1}.get(phase, 2)
            if spec.outcome == OUT.dropped_out:
                better = 0
            levels = [FU.poor, FU.partly, FU.good]

            def level(base: int, better: int = better, levels: list[Any] = levels) -> Any:
                return levels[max(0, min(2, base + better + rng.choice((-1, 0, 0, 1))))]

            await ld.id_of(
                CaseFollowUp,
                {"case": case_id, "phase": phase},
                {
                    "follow_up_on": spec.opened + timedelta(days=30 + months * 30),
                    "months_since_start": months,
                    "housing": level(0),
                    "occupation": level(0),
                    "criminality": level(0),
                    "substance_use": level(1),
                    "safety": level(0),
                    "notes": "Strukturerad uppföljning (fiktiv).",
                },
            )
    return out


# Case plans: (case, SIP, [(party, goal, method, rating before/during/after)]).
PL = Party
_PlanItem = tuple[Party, str, str | None, tuple[Rating, ...]]
PLANS: tuple[tuple[str, bool, tuple[_PlanItem, ...]], ...] = (
    ("AH-2023-0001", True, (
        (PL.psychiatry, "Utredning och behandling av sömnproblem och ångest", None,
         (Rating.not_met, Rating.partly, Rating.met)),
        (PL.social_services, "Eget boende med stöd, utan kontakt med nätverket",
         "Mentorskap med egen erfarenhet", (Rating.not_met, Rating.partly, Rating.partly)),
        (PL.employment_service, "Praktikplats eller studier på halvtid", None,
         (Rating.not_met, Rating.not_met, Rating.met)),
    )),
    ("AH-2022-0001", False, (
        (PL.social_services, "Skyddat boende och ny skola",
         "Multisystemisk terapi (MST)", (Rating.partly, Rating.met, Rating.met)),
        (PL.addiction_care, "Drogfrihet med stöd av öppenvården", "Motiverande samtal (MI)",
         (Rating.not_met, Rating.partly, Rating.met)),
    )),
)  # fmt: skip


async def _case_plans(s: _State, cases: list[tuple[int, _DemoPerson, _CaseSpec]]) -> None:
    """Plans for two demo cases: one a SIP with the region's psychiatry, each goal
    rated at the case's follow-ups; both approved by the unit lead."""
    ld = s.loader
    by_reference = {spec.reference: case_id for case_id, _, spec in cases}
    lead = s.users.get("socialsekreterare")
    for reference, sip, items in PLANS:
        case_id = by_reference.get(reference)
        if case_id is None:
            continue
        follow_ups = await CaseFollowUp.select(
            CaseFollowUp.id, CaseFollowUp.phase, CaseFollowUp.follow_up_on
        ).where(CaseFollowUp.case == case_id)
        phases = {f["phase"]: f for f in follow_ups}
        start = min((f["follow_up_on"] for f in follow_ups), default=_D(2023, 3, 1))
        at = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
        if sip:
            await ld.id_of(
                CaseConsent,
                {"case": case_id, "agency": ConsentAgency.healthcare},
                {"given_on": start},
            )
        await ld.id_of(
            CasePlan,
            {"case": case_id},
            {
                "owner": Party.social_services,
                "sip": sip,
                "sip_started_on": start if sip else None,
                "approved_at": at + timedelta(days=2),
                "approved_by": lead,
            },
        )
        for party, goal, method, rated in items:
            item_id, created = await ld.get_or_create(
                PlanItem,
                {"case": case_id, "goal": goal},
                {
                    "party": party,
                    "method": s.methods.get(method) if method else None,
                    "starts_on": start,
                    "status": ItemStatus.ongoing,
                },
            )
            if created:
                await ld.id_of(
                    PlanEvent,
                    {"case": case_id, "kind": PlanEvent.Kind.item_added, "item": item_id},
                    {"at": at, "by": lead, "value": party},
                )
            for phase, rating in zip(("before", "during", "after"), rated, strict=True):
                f = phases.get(phase)
                if f is None:
                    continue
                await ld.id_of(
                    GoalRating,
                    {"item": item_id, "follow_up": f["id"]},
                    {
                        "rating": rating,
                        "rated_at": datetime.combine(
                            f["follow_up_on"], datetime.min.time(), tzinfo=UTC
                        ),
                        "rated_by": lead,
                    },
                )
        await ld.id_of(
            PlanEvent,
            {"case": case_id, "kind": PlanEvent.Kind.approved},
            {"at": at + timedelta(days=2), "by": lead, "value": str(len(items))},
        )
        if sip:
            await ld.id_of(
                PlanEvent,
                {"case": case_id, "kind": PlanEvent.Kind.sip_started},
                {"at": at, "by": lead, "value": start.isoformat()},
            )


async def _transfers(s: _State, cases: list[tuple[int, _DemoPerson, _CaseSpec]]) -> None:
    """A few transfers between units: an open joint-unit case offered to Sigtuna (pending:
    Sigtuna's caseworker sees it in the incoming list), one Sundbyberg declined, and a
    Sigtuna case that came from the joint unit (accepted: the case is Sigtuna's now)."""
    ld = s.loader
    joint = [
        (c, spec) for c, _p, spec in cases if spec.unit == U_JOINT and spec.status != CS.closed
    ]
    sigtuna = [(c, spec) for c, _p, spec in cases if spec.unit == U_SOC_SIGTUNA]
    plans: list[tuple[int, _CaseSpec, str, str, TransferState, str]] = []
    if joint:
        case_id, spec = joint[0]
        plans.append(
            (case_id, spec, U_JOINT, U_SOC_SUNDBYBERG, TransferState.declined,
             "Personen har fått bostad i Sundbyberg.")
        )  # fmt: skip
        plans.append(
            (case_id, spec, U_JOINT, U_SOC_SIGTUNA, TransferState.pending,
             "Personen har flyttat till Sigtuna och vill fortsätta där.")
        )  # fmt: skip
    if sigtuna:
        case_id, spec = sigtuna[0]
        plans.append(
            (case_id, spec, U_JOINT, U_SOC_SIGTUNA, TransferState.accepted,
             "Personen har flyttat till Sigtuna.")
        )  # fmt: skip
    offerer = s.users.get("socialsekreterare")
    receiver = s.users.get("socialsekreterare-sigtuna")
    for n, (case_id, spec, from_unit, to_unit, state, reason) in enumerate(plans):
        offered = spec.opened + timedelta(days=20 + 10 * n)
        decided = None if state == TransferState.pending else _at(offered + timedelta(days=3), 14)
        await ld.id_of(
            CaseTransfer,
            {"case": case_id, "to_unit": s.units[to_unit]},
            {
                "from_unit": s.units[from_unit],
                "offered_by": offerer,
                "offered_at": _at(offered, 11),
                "reason": reason,
                "state": state,
                "decided_at": decided,
                "decided_by": receiver if state == TransferState.accepted else None,
                "decline_reason": "Ärendet passar bättre hos den gemensamma enheten."
                if state == TransferState.declined
                else "",
                "caseworker_after": receiver if state == TransferState.accepted else None,
            },
        )


OUT_REASON: dict[DefectorCase.Outcome | None, str] = {
    OUT.completed: "Insatserna genomförda enligt överenskommelse.",
    OUT.dropped_out: "Avbröt kontakten.",
    OUT.moved: "Flyttade till annan kommun med skyddad adress.",
    OUT.other: "Avslutat av annat skäl.",
}


async def _offers(
    s: _State,
    notifications: Sequence[tuple[int, _DemoPerson, date, Notification.Outcome]],
    cases: Sequence[tuple[int, _DemoPerson, _CaseSpec]],
) -> None:
    ld = s.loader
    rng = s.rng
    cat = SupportOffer.Category
    ctx = SupportOffer.Context
    statuses = list(OfferStatus)
    recorder_for = {"0191": s.users.get("socialsekreterare-sigtuna")}
    default_recorder = s.users.get("socialsekreterare")
    offers: list[dict[str, Any]] = []

    # After the call-in: those who attended got an offer within a couple of weeks.
    call_in_categories = [
        cat.employment,
        cat.mentor,
        cat.education,
        cat.leisure,
        cat.tattoo_removal,
    ]
    for i, p in enumerate(s.attended):
        offers.append(
            {
                "person": p,
                "category": call_in_categories[i % len(call_in_categories)],
                "context": ctx.call_in,
                "call_in": s.call_ins[CALLIN_HELD],
                "offered_on": _D(2023, 10, 13) + timedelta(days=i * 2),
                "status": statuses[i % len(statuses)],
            }
        )
    for notification_id, p, day, outcome in notifications:
        if outcome == Notification.Outcome.delivered:
            offers.append(
                {
                    "person": p,
                    "category": rng.choice([cat.housing, cat.employment, cat.family_support]),
                    "context": ctx.notification,
                    "notification": notification_id,
                    "offered_on": day,
                    "status": rng.choice(statuses),
                }
            )
    case_categories = {
        N.housing: cat.housing,
        N.psychiatric: cat.psychiatric_care,
        N.addiction: cat.addiction_care,
        N.debt: cat.debt_counselling,
        N.employment: cat.employment,
        N.education: cat.education,
        N.family: cat.family_support,
        N.protection: cat.relocation,
    }
    for case_id, p, spec in cases:
        if CASE_FLOW.index(spec.status) < CASE_FLOW.index(CS.agreement):
            continue
        for need in spec.needs:
            final = {
                CS.agreement: OfferStatus.accepted,
                CS.interventions: OfferStatus.started,
                CS.follow_up: OfferStatus.completed,
            }.get(spec.status)
            if final is None:  # closed
                final = (
                    OfferStatus.discontinued
                    if spec.outcome == OUT.dropped_out
                    else OfferStatus.completed
                )
            offers.append(
                {
                    "person": p,
                    "category": case_categories[need],
                    "context": ctx.defector_case,
                    "defector_case": case_id,
                    "offered_on": spec.opened + timedelta(days=40),
                    "status": final,
                }
            )
    # Street outreach, including Sigtuna (the second outreach worker's scope).
    outreach_people = [p for p in s.people if p.group in ("Testgänget Nord", "Modellgruppen 0191")]
    outreach_people += [p for p in s.people if p.group is None]
    for i, p in enumerate(outreach_people[:14]):
        offers.append(
            {
                "person": p,
                "category": [cat.leisure, cat.other, cat.mentor, cat.education][i % 4],
                "context": ctx.street_outreach,
                "offered_on": _D(2022, 4, 1) + timedelta(days=i * 47),
                "status": statuses[(i + 3) % len(statuses)],
            }
        )

    for o in offers:
        p = o.pop("person")
        status: OfferStatus = o.pop("status")
        category = o["category"]
        provider = CATEGORY_PROVIDER.get(category)
        cost = (
            Decimal(rng.choice(("4500.00", "12000.00", "38500.00", "86000.00")))
            if status in (OfferStatus.started, OfferStatus.completed, OfferStatus.discontinued)
            and provider
            else None
        )
        recorder = recorder_for.get(p.municipality, default_recorder)
        offer_id, _created = await ld.get_or_create(
            SupportOffer,
            {"person": p.id, "category": category, "offered_on": o["offered_on"]},
            {
                **{k: v for k, v in o.items() if k not in ("category", "offered_on")},
                "municipality": s.municipalities[p.municipality],
                "provider": s.providers[provider] if provider else None,
                "method": s.methods[m] if (m := CATEGORY_METHOD.get(category)) else None,
                "status": status,
                "cost": cost,
                "recorded_by": recorder,
            },
        )
        day = o["offered_on"]
        previous: OfferStatus | None = None
        for step in OFFER_CHAINS[status]:
            await ld.id_of(
                SupportOfferStatusChange,
                {"offer": offer_id, "to_status": step},
                {
                    "from_status": previous,
                    "changed_on": day,
                    "changed_at": _at(day, 14),
                    "changed_by": recorder,
                    "note": "",
                },
            )
            previous = step
            day = day + timedelta(days=rng.randint(5, 40))


async def _disclosures_and_tasks(
    s: _State,
    notifications: Sequence[tuple[int, _DemoPerson, date, Notification.Outcome]],
    cases: Sequence[tuple[int, _DemoPerson, _CaseSpec]],
) -> None:
    ld = s.loader
    case_by_ref = {spec.reference: (case_id, p) for case_id, p, spec in cases}
    social = s.users["socialsekreterare"]
    police = s.users["polis"]
    for ref, ground, when, expires, summary in (
        ("AH-2023-0002", LegalGround.consent, _at(_D(2023, 5, 10), 11),
         _at(_D(2023, 11, 10), 11),
         "Bekräftat att personen deltar i avhopparverksamheten och har en hotbild. "
         "Inga uppgifter om vistelseort."),
        ("AH-2023-0006", LegalGround.osl_10_18a, _at(_D(2024, 1, 22), 15), None,
         "Uppgift om hot mot personen inför polisens skyddsbedömning (fiktivt)."),
    ):  # fmt: skip
        case_id, p = case_by_ref[ref]
        await ld.id_of(
            Disclosure,
            {"person": p.id, "disclosed_at": when},
            {
                "from_agency": Agency.social_services,
                "to_agency": Agency.police,
                "defector_case": case_id,
                "legal_ground": ground,
                "assessed_by": social,
                "disclosed_to": police,
                "summary": summary,
                "expires_at": expires,
            },
        )

    TK = Task.Kind
    TS = Task.Status
    planned_notifications = [n for n in notifications if n[3] == Notification.Outcome.planned]
    first_planned = planned_notifications[0]
    follow_case, follow_person = case_by_ref["AH-2023-0001"]
    tasks: tuple[
        tuple[str, Task.Kind, Task.Status, date, str, str | None, str | None, dict[str, Any]], ...
    ] = (
        ("Kontakta deltagarna efter call-in i Järfälla", TK.outreach_contact, TS.done,
         _D(2023, 10, 19), "0123", "socialsekreterare", U_SOC_JARFALLA,
         {"call_in": s.call_ins[CALLIN_HELD]}),
        ("Förbered inbjudningar till call-in i Sollentuna", TK.other, TS.open, _D(2027, 2, 11),
         "0163", "samordnare", U_COORD, {"call_in": s.call_ins[CALLIN_PLANNED]}),
        (f"Individuell underrättelse {first_planned[1].code}", TK.custom_notification, TS.open,
         first_planned[2], first_planned[1].municipality, "samordnare", U_COORD,
         {"notification": first_planned[0], "person": first_planned[1].id}),
        ("Uppföljning efter 12 månader, AH-2023-0001", TK.follow_up, TS.open, _D(2025, 3, 1),
         follow_person.municipality, "socialsekreterare", U_JOINT,
         {"defector_case": follow_case, "person": follow_person.id}),
        ("Uppföljning efter 6 månader, AH-2023-0001", TK.follow_up, TS.done, _D(2023, 8, 15),
         follow_person.municipality, "socialsekreterare", U_JOINT,
         {"defector_case": follow_case}),
        ("Se över relationer med passerat granskningsdatum", TK.other, TS.open, _D(2025, 1, 31),
         "0123", "polis", U_POL_JARFALLA, {}),
        ("Gruppkartläggning inför 2024", TK.other, TS.done, _D(2023, 12, 15), "0123", "polis",
         U_POL_JARFALLA, {}),
        ("Uppsökande kontakt, Norra Testhöjden", TK.outreach_contact, TS.open, _D(2024, 12, 20),
         "0191", "socialsekreterare-sigtuna", U_SOC_SIGTUNA, {}),
        ("Informationsmöte med skolorna i Sigtuna", TK.other, TS.cancelled, _D(2024, 5, 14),
         "0191", "socialsekreterare-sigtuna", U_SOC_SIGTUNA, {}),
        ("Sammanställ nyckeltal för 2024", TK.other, TS.open, _D(2025, 1, 15), "0123",
         "analytiker", U_COORD, {}),
    )  # fmt: skip
    for title, kind, status, due, code, assignee, unit, links in tasks:
        await ld.id_of(
            Task,
            {"title": title},
            {
                "kind": kind,
                "status": status,
                "due_on": due,
                "municipality": s.municipalities[code],
                "assignee": s.users[assignee] if assignee else None,
                "unit": s.units[unit] if unit else None,
                **links,
            },
        )


def demo_identities() -> list[tuple[str, str, str]]:
    """(person code, name, personnummer) of every demo person, as :func:`load_demo` writes them.

    For tests: the plaintext must decrypt from the database and appear nowhere in its bytes.
    """
    return [(p.code, p.name, p.pin) for p in _make_people(random.Random(DEMO_SEED))]


__all__ = [
    "DEMO_PASSWORD",
    "DEMO_TOTP_SECRETS",
    "DEMO_USERNAMES",
    "DEMO_USERS",
    "DemoUser",
    "demo_identities",
    "load_demo",
]
