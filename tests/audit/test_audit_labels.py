"""Every audit tag has a Swedish name for the trail page, and English too."""

from __future__ import annotations

import contextvars

from gvi import i18n
from gvi.audit.events import AuditAction
from gvi.audit.labels import ACTION_LABELS, action_label


def test_every_tag_has_a_name() -> None:
    assert set(ACTION_LABELS) == set(AuditAction)
    assert len(set(ACTION_LABELS.values())) == len(ACTION_LABELS), "two tags read the same"
    assert action_label("case:read") == "Ärende läst"
    assert action_label("break_glass:grant") == "Nödåtkomst beviljad"
    # A tag this release does not know shows as itself rather than failing the page.
    assert action_label("future:thing") == "future:thing"


def test_the_names_are_translated() -> None:
    def english() -> str:
        i18n.set_language("en")
        return action_label("case:read")

    assert contextvars.copy_context().run(english) == "Case read"
