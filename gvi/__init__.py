"""GVI-stöd: operations tracker for Group Violence Intervention (Sluta skjut)."""

__version__ = "0.1.0"
