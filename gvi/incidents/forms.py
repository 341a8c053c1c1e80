"""Form bodies of the incident pages.

Every field arrives as text and is read with :mod:`gvi.core.forms` into a value
or a field error, so a tampered or mistyped value gives a message at the field,
never a crash. The labels live in :mod:`gvi.incidents.labels`; what the
operations pages share (labels of every domain, local time) in
:mod:`gvi.core.operations`.

Pure: msgspec and the standard library.
"""

from __future__ import annotations

import msgspec

from gvi.core import clock as clock_module
from gvi.core.failures import CONFLICT_MESSAGE as CONFLICT_MESSAGE
from gvi.core.failures import FormErrors as FormErrors
from gvi.core.failures import VersionConflict as VersionConflict

# Re-exported for the operations pages until each reads gvi.core.forms itself.
from gvi.core.forms import (
    CONFIRM_MESSAGE as CONFIRM_MESSAGE,
)
from gvi.core.forms import (
    CONFIRM_VALUE as CONFIRM_VALUE,
)
from gvi.core.forms import (
    LINE_MAX as LINE_MAX,
)
from gvi.core.forms import (
    NO_SUCH_PERSON as NO_SUCH_PERSON,
)
from gvi.core.forms import (
    PERSON_CODE as PERSON_CODE,
)
from gvi.core.forms import (
    PERSON_CODE_MESSAGE as PERSON_CODE_MESSAGE,
)
from gvi.core.forms import (
    TEXT_MAX as TEXT_MAX,
)
from gvi.core.forms import (
    confirmed as confirmed,
)
from gvi.core.forms import (
    read_choice as read_choice,
)
from gvi.core.forms import (
    read_date as read_date,
)
from gvi.core.forms import (
    read_id as read_id,
)
from gvi.core.forms import (
    read_ids as read_ids,
)
from gvi.core.forms import (
    read_int as read_int,
)
from gvi.core.forms import (
    read_line as read_line,
)
from gvi.core.forms import (
    read_person_code as read_person_code,
)
from gvi.core.forms import (
    read_text as read_text,
)
from gvi.core.forms import (
    read_time as read_time,
)
from gvi.core.forms import (
    read_version as read_version,
)

STOCKHOLM = clock_module.STOCKHOLM
local_moment = clock_module.local_moment
local_day = clock_module.local_day
today = clock_module.today


# --- incident forms -------------------------------------------------------------------


class IncidentForm(msgspec.Struct):
    version: str = ""
    occurred_on: str = ""
    occurred_time: str = ""
    municipality: str = ""
    area: str = ""
    place: str = ""
    kind: str = ""
    harm: str = "none"
    motive: str = ""
    suspected_groups: list[str] | str = []
    victim_groups: list[str] | str = []

    def suspected(self) -> list[str]:
        return (
            [self.suspected_groups]
            if isinstance(self.suspected_groups, str)
            else list(self.suspected_groups)
        )

    def victims(self) -> list[str]:
        return (
            [self.victim_groups]
            if isinstance(self.victim_groups, str)
            else list(self.victim_groups)
        )


class ReviewForm(msgspec.Struct):
    version: str = ""
    review_status: str = ""
    review_notes: str = ""


class LinkPersonForm(msgspec.Struct):
    code: str = ""
    role: str = ""


class ConfirmForm(msgspec.Struct):
    confirm: str = ""
