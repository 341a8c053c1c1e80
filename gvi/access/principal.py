"""The signed-in user as the services see it: who, which role, which scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from gvi.access.permissions import Permission, has_permission
from gvi.accounts.tables import Role
from gvi.core.failures import NotVisible
from gvi.municipalities.tables import Agency


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    unit_id: int | None = None
    municipality_ids: frozenset[int] = field(default_factory=frozenset)
    # Units whose defector cases this user may see (own unit; joint units included).
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    ip: str = ""
    user_agent: str = ""
    # Set when the request came with an API token (gvi/tokens): the token's id,
    # written into every audit row, and the permissions it carries (a subset of
    # the role's; None for a signed-in session).
    token_id: int | None = None
    token_permissions: frozenset[Permission] | None = None
    # Enhetschef (User.unit_lead): approves plans and closings in the user's units.
    unit_lead: bool = False

    @property
    def agency(self) -> Agency | None:
        """The partition this user works in; None for roles outside both."""
        if self.role is Role.police:
            return Agency.police
        if self.role is Role.outreach:
            return Agency.social_services
        return None

    @property
    def pseudonymous_only(self) -> bool:
        """Analysts see no identities and no free text, anywhere."""
        return self.role is Role.analyst

    def can(self, permission: Permission) -> bool:
        if self.token_permissions is not None and permission not in self.token_permissions:
            return permission is Permission.public
        return has_permission(self.role, permission, unit_lead=self.unit_lead)


SYSTEM = Principal(user_id=0, username="system", role=Role.admin)


def require(principal: Principal, *permissions: Permission) -> None:
    """Services check again what the route's guard checked, so a service is safe when
    called from elsewhere (a job, the CLI); a missing right looks like a missing
    record (404)."""
    for permission in permissions:
        if not principal.can(permission):
            raise NotVisible()
