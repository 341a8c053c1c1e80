"""The one Piccolo app: every table class and the single migration history."""

from pathlib import Path

from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from gvi.access.tables import Alert, BreakGlass, Disclosure
from gvi.accounts.tables import RecoveryCode, User, UserMunicipality, UserUnit
from gvi.audit.tables import AuditEvent
from gvi.callins.tables import CallIn, CallInSpeaker, Invitation, Notification, Promise
from gvi.defectors.tables import (
    CaseAssessmentChange,
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseStatusChange,
    CaseTransfer,
    DefectorCase,
    GrantApplication,
)
from gvi.enforcement.tables import EnforcementAction
from gvi.groups.tables import Group, GroupAlias, GroupRelation, Membership
from gvi.incidents.tables import Incident, IncidentGroup, IncidentPerson
from gvi.municipalities.tables import Municipality, Unit, UnitMunicipality
from gvi.networks.tables import AnalysisJob, SavedView
from gvi.oidc.tables import OidcLink
from gvi.outreach.tables import OutreachActivity
from gvi.people.tables import Person, PersonIdentity
from gvi.plans.tables import CasePlan, GoalRating, PlanEvent, PlanItem
from gvi.records.tables import ImportJob
from gvi.support.tables import (
    Method,
    Provider,
    ProviderCheck,
    ProviderDeviation,
    ProviderRequirement,
    SupportOffer,
    SupportOfferStatusChange,
)
from gvi.tasks.tables import Task
from gvi.tokens.tables import ApiToken

TABLES: list[type[Table]] = [
    Municipality,
    Unit,
    UnitMunicipality,
    User,
    UserMunicipality,
    UserUnit,
    RecoveryCode,
    Person,
    PersonIdentity,
    Group,
    GroupAlias,
    Membership,
    GroupRelation,
    Incident,
    IncidentGroup,
    IncidentPerson,
    CallIn,
    CallInSpeaker,
    Promise,
    Invitation,
    Notification,
    EnforcementAction,
    DefectorCase,
    CaseStatusChange,
    CaseAssessmentChange,
    CaseTransfer,
    CaseConsent,
    GrantApplication,
    CaseNeed,
    CaseFollowUp,
    Provider,
    ProviderCheck,
    ProviderRequirement,
    ProviderDeviation,
    Method,
    SupportOffer,
    SupportOfferStatusChange,
    CasePlan,
    PlanItem,
    GoalRating,
    PlanEvent,
    OutreachActivity,
    Disclosure,
    BreakGlass,
    Alert,
    Task,
    AnalysisJob,
    SavedView,
    ImportJob,
    OidcLink,
    ApiToken,
    AuditEvent,
]

APP_CONFIG = AppConfig(
    app_name="gvi",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
