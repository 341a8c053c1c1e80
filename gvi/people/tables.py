"""Person (pseudonymous) and PersonIdentity (encrypted, read only with need)."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Bytea, ForeignKey, Integer, Text, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.core.columns import Archivable
from gvi.municipalities.tables import Municipality


class Protection(StrEnum):
    """Protected personal data (skyddade personuppgifter); any level compartments a person."""

    none = "none"
    sekretessmarkering = "sekretessmarkering"
    skyddad_folkbokforing = "skyddad_folkbokforing"
    fingerade_personuppgifter = "fingerade_personuppgifter"


class Person(Archivable, Table, tablename="person"):
    code = Varchar(length=16, unique=True, help_text="Pseudonym such as P-7Q4K.")
    home_municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    birth_year = Integer(null=True, default=None)
    protection = Varchar(length=32, choices=Protection, default=Protection.none)
    notes = Text(default="", help_text="Free text: never shown to analysts.")
    external_ref = Varchar(
        length=64,
        null=True,
        default=None,
        index=True,
        help_text="The record's id in the system it was imported from; unique per municipality.",
    )


class PersonIdentity(Archivable, Table, tablename="person_identity"):
    """AES-GCM ciphertexts; associated data binds table, column and person id."""

    person = ForeignKey(Person, on_delete=OnDelete.restrict, unique=True)
    name_enc = Bytea(null=True, default=None)
    pin_enc = Bytea(null=True, default=None, help_text="Personnummer")
    address_enc = Bytea(null=True, default=None)
    phone_enc = Bytea(null=True, default=None)
    pin_index = Varchar(
        length=64,
        null=True,
        default=None,
        index=True,
        help_text="HMAC blind index of personnummer.",
    )
    key_id = Varchar(length=16, help_text="Which data key encrypted this row.")
    import_digest = Varchar(
        length=64,
        null=True,
        default=None,
        help_text="HMAC of the identity an import wrote (gvi.records): re-import compares it.",
    )
