"""Labels for the token pages: what each permission a token can carry lets a system do."""

from __future__ import annotations

from gvi.i18n import N_

PERMISSION_LABELS: dict[str, str] = {
    "users:manage": N_("Administrera användare"),
    "audit:read": N_("Läsa granskningsloggen"),
    "alerts:read": N_("Läsa aviseringar"),
    "org:manage": N_("Administrera enheter och kommuner"),
    "groups:read": N_("Läsa grupper"),
    "groups:write": N_("Ändra grupper"),
    "relations:write": N_("Ändra relationer mellan grupper"),
    "memberships:write": N_("Ändra medlemskap"),
    "people:read": N_("Läsa personer (pseudonymt)"),
    "people:write": N_("Ändra personer"),
    "identity:read": N_("Läsa identitetsuppgifter"),
    "network:read": N_("Läsa nätverksanalyser"),
    "incidents:read": N_("Läsa händelser"),
    "incidents:write": N_("Ändra händelser"),
    "enforcement:read": N_("Läsa insatser från polisen"),
    "enforcement:write": N_("Ändra insatser från polisen"),
    "callins:read": N_("Läsa call-ins"),
    "callins:write": N_("Ändra call-ins"),
    "notifications:read": N_("Läsa individuella budskap"),
    "notifications:write": N_("Ändra individuella budskap"),
    "promises:read": N_("Läsa löftesliggaren"),
    "offers:read": N_("Läsa stödinsatser"),
    "offers:write": N_("Ändra stödinsatser"),
    "providers:read": N_("Läsa utförare"),
    "providers:write": N_("Ändra utförare"),
    "methods:read": N_("Läsa metodkatalogen"),
    "methods:write": N_("Ändra metoder i de egna enheternas katalog"),
    "outreach:read": N_("Läsa loggen över uppsökande arbete"),
    "outreach:write": N_("Föra loggen över uppsökande arbete"),
    "cases:read": N_("Läsa avhopparärenden"),
    "cases:write": N_("Ändra avhopparärenden"),
    "disclosures:write": N_("Registrera utlämnanden"),
    "records:import": N_("Importera register"),
    "tasks:read": N_("Läsa uppgifter"),
    "figures:read": N_("Läsa siffror och rapporter"),
    "views:write": N_("Spara vyer"),
}

STATUS_LABELS: dict[str, str] = {
    "active": N_("Gäller"),
    "expired": N_("Har gått ut"),
    "revoked": N_("Återkallad"),
}
