"""Invented names, municipality lists and fictional identity values for the seeds.

Everything a person could mistake for a real individual or a real gang is
invented here, on purpose and visibly so:

* first names and surnames are words like "Testa Demosdotter";
* group names say they are fiction ("Fiktiva Falkarna", "Simulerade Tranorna G017");
* addresses have the postcode 000 00, which Postnord never assigns;
* phone numbers come from Post- och telestyrelsen's fiction series
  070-1740605 … 070-1740699 (numbers reserved for films, books and examples);
* personnummer (see :func:`fictional_pin`) are well formed, with a valid
  Luhn check digit, and use födelsenummer 980–999 so that a reader can tell
  the demo's numbers apart at a glance.

Municipalities are real (name and SCB kommunkod): the product is Swedish and
the figures are reported per municipality.
"""

from __future__ import annotations

import random

from gvi.municipalities.reference import reference_by_code

# Pseudonym alphabet: no 0/O, 1/I/L, so a code read aloud or handwritten survives.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def person_code(rng: random.Random, taken: set[str]) -> str:
    """A fresh ``P-XXXX`` code not in ``taken`` (which it extends)."""
    while True:
        code = "P-" + "".join(rng.choice(CODE_ALPHABET) for _ in range(4))
        if code not in taken:
            taken.add(code)
            return code


# --- municipalities ---------------------------------------------------------

# North-west Stockholm county: the demo's eight (name, kommunkod).
NORTHWEST: tuple[tuple[str, str], ...] = (
    ("Upplands Väsby", "0114"),
    ("Järfälla", "0123"),
    ("Ekerö", "0125"),
    ("Upplands-Bro", "0139"),
    ("Sollentuna", "0163"),
    ("Sundbyberg", "0183"),
    ("Solna", "0184"),
    ("Sigtuna", "0191"),
)

# The national generator's further municipalities (real names and kommunkoder),
# with a rough weight for how much of the generated activity lands there.
NATIONAL: tuple[tuple[str, str, int], ...] = (
    ("Stockholm", "0180", 40),
    ("Göteborg", "1480", 30),
    ("Malmö", "1280", 25),
    ("Uppsala", "0380", 10),
    ("Botkyrka", "0127", 9),
    ("Södertälje", "0181", 9),
    ("Huddinge", "0126", 8),
    ("Haninge", "0136", 6),
    ("Örebro", "1880", 7),
    ("Västerås", "1980", 7),
    ("Norrköping", "0581", 7),
    ("Linköping", "0580", 6),
    ("Helsingborg", "1283", 6),
    ("Eskilstuna", "0484", 6),
    ("Nacka", "0182", 5),
    ("Jönköping", "0680", 5),
    ("Borås", "1490", 5),
    ("Trollhättan", "1488", 4),
    ("Landskrona", "1282", 4),
    ("Lund", "1281", 4),
    ("Gävle", "2180", 4),
    ("Umeå", "2480", 3),
    ("Sundsvall", "2281", 3),
    ("Luleå", "2580", 3),
    ("Karlstad", "1780", 3),
    ("Växjö", "0780", 3),
    ("Kalmar", "0880", 3),
    ("Halmstad", "1380", 3),
    ("Kristianstad", "1290", 3),
    ("Trelleborg", "1287", 2),
    ("Uddevalla", "1485", 2),
    ("Karlskrona", "1080", 2),
    ("Falun", "2080", 2),
    ("Borlänge", "2081", 2),
    ("Enköping", "0381", 2),
    ("Tyresö", "0138", 2),
    ("Täby", "0160", 2),
    ("Norrtälje", "0188", 2),
    ("Värmdö", "0120", 1),
    ("Österåker", "0117", 1),
    ("Vallentuna", "0115", 1),
    ("Nynäshamn", "0192", 1),
    ("Salem", "0128", 1),
    ("Lidingö", "0186", 1),
    ("Danderyd", "0162", 1),
)

NORTHWEST_WEIGHTS: dict[str, int] = {
    "0114": 3,
    "0123": 4,
    "0125": 1,
    "0139": 2,
    "0163": 3,
    "0183": 3,
    "0184": 3,
    "0191": 3,
}


def county_of(code: str) -> str:
    """The county (län) of a kommunkod, from the shipped SCB list."""
    return reference_by_code()[code].county


async def reference_ids(codes: list[str]) -> dict[str, int]:
    """The ids of the reference municipalities with these codes. The seeds reuse
    the rows `gvi migrate` loads; loading the list first (idempotent) lets a seed
    run on a database migrated before the list shipped."""
    from gvi.municipalities.reference import sync_municipalities
    from gvi.municipalities.tables import Municipality

    await sync_municipalities()
    rows = await Municipality.select(Municipality.id, Municipality.code).where(
        Municipality.code.is_in(codes)
    )
    found = {r["code"]: int(r["id"]) for r in rows}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise RuntimeError(f"kommunkoder saknas i referensdata: {', '.join(missing)}")
    return found


# --- people ------------------------------------------------------------------

FIRST_NAMES: tuple[str, ...] = (
    "Testa",
    "Demo",
    "Exempel",
    "Fiktiv",
    "Påhitta",
    "Låtsas",
    "Prova",
    "Modell",
    "Dikta",
    "Skena",
    "Simula",
    "Fabula",
)

SURNAMES: tuple[str, ...] = (
    "Testsson",
    "Demosdotter",
    "Påhittadsson",
    "Exempelsson",
    "Fiktivsdotter",
    "Låtsasberg",
    "Provström",
    "Modellqvist",
    "Diktadotter",
    "Skensson",
)

STREETS: tuple[str, ...] = (
    "Demovägen",
    "Testgatan",
    "Exempelstigen",
    "Påhittade gränd",
    "Låtsasallén",
    "Fiktionsbacken",
    "Provplan",
    "Modellvägen",
)

TOWNS: tuple[str, ...] = ("Exempelstad", "Demoby", "Testköping", "Påhittered", "Låtsasvik")

# PTS reserves 070-1740605 … 070-1740699 for fiction: never assigned to a subscriber.
FICTION_PHONES: tuple[str, ...] = tuple(f"070-17406{n:02d}" for n in range(5, 100))


def fictional_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def fictional_address(rng: random.Random) -> str:
    return f"{rng.choice(STREETS)} {rng.randint(1, 99)}, 000 00 {rng.choice(TOWNS)}"


def luhn_check_digit(digits: str) -> str:
    """The personnummer check digit over the ten digits YYMMDDNNN (weights 2,1,2,…)."""
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def luhn_valid(pin: str) -> bool:
    digits = "".join(ch for ch in pin if ch.isdigit())
    short = digits[-10:]
    return len(digits) in (10, 12) and luhn_check_digit(short[:9]) == short[9]


def fictional_pin(rng: random.Random, birth_year: int) -> str:
    """``YYYYMMDD-NNNC``: a real calendar date in ``birth_year``, födelsenummer
    980–999 and a valid Luhn check digit.

    Well formed so that validation, the blind index and the UI behave as with
    real numbers. The 98x/99x tail marks them as the demo's; they are not taken
    from Skatteverket's list of test personnummer, so they could in principle
    coincide with a real number and must never leave the demo. They are only
    ever stored encrypted, next to obviously invented names.
    """
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    serial = rng.randint(980, 999)
    nine = f"{birth_year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    return f"{birth_year:04d}{month:02d}{day:02d}-{serial:03d}{luhn_check_digit(nine)}"


# --- groups (national generator) ----------------------------------------------

GROUP_ADJECTIVES: tuple[str, ...] = (
    "Simulerade",
    "Syntetiska",
    "Genererade",
    "Fiktiva",
    "Påhittade",
    "Uppdiktade",
    "Skenbara",
    "Låtsade",
)

GROUP_NOUNS: tuple[str, ...] = (
    "Ugglorna",
    "Ekorrarna",
    "Igelkottarna",
    "Tranorna",
    "Kråkorna",
    "Bävrarna",
    "Svanarna",
    "Hararna",
    "Mårdarna",
    "Tjädrarna",
    "Sälarna",
    "Grävlingarna",
)

AREA_WORDS: tuple[str, ...] = (
    "Centrum (demo)",
    "Norra Exempelområdet",
    "Södra Testhöjden",
    "Västra Låtsasdalen",
    "Östra Påhittaparken",
    "Fiktionstorget",
    "Demoängen",
    "Provbacken",
)
