"""The role → permissions map holds the rights that used to be role checks in the
services (``principal.role is Role.outreach``): the same roles hold them, so
behaviour is the same, and a role is named in the map only."""

from __future__ import annotations

from gvi.access.permissions import ROLE_PERMISSIONS, Permission, has_permission, roles_with
from gvi.accounts.tables import Role

P = Permission


def test_case_and_offer_rights_are_social_services_only() -> None:
    for permission in (
        P.cases_read,
        P.cases_write,
        P.disclosures_write,
        P.offers_read,
        P.offers_write,
        P.follow_ups_export,
    ):
        assert roles_with(permission) == {Role.outreach}, permission


def test_disclosed_case_facts_are_for_police_only() -> None:
    assert roles_with(P.cases_read_disclosed) == {Role.police}
    # A case is read in full or through a disclosure, never both (case_scope picks one).
    assert not roles_with(P.cases_read) & roles_with(P.cases_read_disclosed)


def test_roles_with_agrees_with_has_permission() -> None:
    for permission in Permission:
        if permission is P.public:
            continue
        assert roles_with(permission) == {
            role for role in ROLE_PERMISSIONS if has_permission(role, permission)
        }
