"""Words about groups that other packages' pages show: a group's part in an
incident and a member's role in running text (lower case, mid-sentence).

Pure. The register's own vocabulary (statuses, roles, kinds) is in
:mod:`gvi.groups.forms`, shared with the CSV importer.
"""

from __future__ import annotations

from gvi.i18n import N_

GROUP_ROLE_LABELS = {"suspected": N_("Misstänkt grupp"), "victim": N_("Utsatt grupp")}
MEMBER_ROLE_LABELS = {
    "leader": N_("ledare"),
    "core": N_("kärna"),
    "member": N_("medlem"),
    "associate": N_("närstående"),
}
