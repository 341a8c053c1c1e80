"""Disclosure (crossing a partition), BreakGlass grants and Alerts for admins."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Keyed
from gvi.defectors.tables import DefectorCase
from gvi.municipalities.tables import Agency
from gvi.people.tables import Person


class LegalGround(StrEnum):
    """Why information may cross from one partition to the other."""

    consent = "consent"
    osl_10_2 = "osl_10_2"  # nödvändigt för att fullgöra verksamheten
    osl_10_18a = "osl_10_18a"  # socialtjänst → polis: förhindra brott (OSL 10 kap. 18 a §)
    osl_10_19 = "osl_10_19"  # misstanke om brott med minst ett års fängelse
    osl_10_21 = "osl_10_21"  # brott med lägst två års fängelse
    osl_10_27 = "osl_10_27"  # generalklausulen
    other_statute = "other_statute"  # annan lag eller förordning


class Disclosure(Keyed, Table, tablename="disclosure"):
    """An explicit, recorded crossing between the social-services and police partitions."""

    from_agency = Varchar(length=32, choices=Agency)
    to_agency = Varchar(length=32, choices=Agency)
    person = ForeignKey(Person, on_delete=OnDelete.restrict)
    defector_case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict, null=True)
    legal_ground = Varchar(length=24, choices=LegalGround)
    assessed_by = ForeignKey(User, on_delete=OnDelete.restrict)
    disclosed_to = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    summary = Text(help_text="What was disclosed.")
    disclosed_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)


class BreakGlass(Keyed, Table, tablename="break_glass"):
    """Time-boxed access to a protected person's identity or whereabouts."""

    user = ForeignKey(User, on_delete=OnDelete.restrict)
    person = ForeignKey(Person, on_delete=OnDelete.restrict)
    reason = Text()
    granted_at = Timestamptz()
    expires_at = Timestamptz()


class Alert(Keyed, Table, tablename="alert"):
    class Kind(StrEnum):
        break_glass = "break_glass"
        unusual_reading = "unusual_reading"
        lockout = "lockout"
        retaliation_risk = "retaliation_risk"

    kind = Varchar(length=24, choices=Kind)
    raised_at = Timestamptz()
    subject_user = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    details = JSON(default="{}", help_text="Ids and counts only; never names.")
    acknowledged_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    acknowledged_at = Timestamptz(null=True, default=None)
