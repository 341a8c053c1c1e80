"""What the membership and relation controllers share: both are dated claims
(confidence, valid from/to, review date, source, version), shown on one form
page each, edited and archived the same way, listed in the same two shapes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from litestar.response import Redirect, Template

from gvi.access.principal import Principal
from gvi.core.failures import NotVisible, Refused
from gvi.core.forms import confirmed, read_date, read_version
from gvi.core.web import submit
from gvi.groups.controllers.shared import (
    AnyRequest,
    group_page,
    refusal_context,
)
from gvi.groups.forms import ArchiveForm, ClaimForm, form_message


class ClaimView(Protocol):
    @property
    def version(self) -> int: ...
    @property
    def confidence(self) -> str: ...
    @property
    def valid_from(self) -> date | None: ...
    @property
    def valid_to(self) -> date | None: ...
    @property
    def review_by(self) -> date | None: ...
    @property
    def writable(self) -> bool: ...


C = TypeVar("C", bound=ClaimView)
F = TypeVar("F", bound=ClaimForm)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def claim_form_values(claim: ClaimView) -> dict[str, Any]:
    """The claim's own fields as the form carries them (text)."""
    return {
        "version": str(claim.version),
        "confidence": claim.confidence,
        "valid_from": _iso(claim.valid_from),
        "valid_to": _iso(claim.valid_to),
        "review_by": _iso(claim.review_by),
        "source": getattr(claim, "source", ""),
    }


def claim_dates(form: ClaimForm, errors: dict[str, str]) -> dict[str, date | None]:
    """The three dates of a claim form; problems go to *errors*."""
    return {
        key: read_date(getattr(form, key), key, errors, required=False)
        for key in ("valid_from", "valid_to", "review_by")
    }


@dataclass(frozen=True)
class ClaimScreens(Generic[C, F]):
    """The form page of one kind of claim: new, edit and archive."""

    template: str
    key: str  # the claim's name in the template
    get: Callable[[Principal, int], Awaitable[C]]
    form_of: Callable[[C, str], F]  # the claim's values, and where to go back to
    keep_ends: Callable[[F, C], None]  # a claim's ends are fixed: put them back in the form

    def render(
        self,
        request: AnyRequest,
        form: F,
        *,
        claim: C | None = None,
        groups: Sequence[Any] = (),
        errors: dict[str, str] | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        return group_page(
            request,
            self.template,
            {
                "form": form,
                self.key: claim,
                "errors": errors or {},
                "error": error,
                "groups": list(groups),
            },
            status_code=status_code,
        )

    async def writable(self, principal: Principal, claim_id: int) -> C:
        """The claim, if the user may change it (both ends in scope); 404 otherwise."""
        claim = await self.get(principal, claim_id)
        if not claim.writable:
            raise NotVisible()
        return claim

    async def edit(
        self,
        request: AnyRequest,
        principal: Principal,
        claim_id: int,
        data: F,
        action: Awaitable[None],
        *,
        to: Callable[[C], str],
        flash: str,
    ) -> Template | Redirect:
        """Save an edit; a refusal shows what was typed again on the claim as it is now."""

        async def rerender(exc: Refused, status: int) -> Template:
            claim = await self.writable(principal, claim_id)
            self.keep_ends(data, claim)
            return self.render(
                request, data, claim=claim, status_code=status, **refusal_context(exc)
            )

        async def back(_: None) -> str:
            return to(await self.get(principal, claim_id))

        return await submit(request, action, rerender=rerender, to=back, flash=flash)

    async def archive(
        self,
        request: AnyRequest,
        principal: Principal,
        claim_id: int,
        data: ArchiveForm,
        action: Callable[[int], Awaitable[int]],
        *,
        to: Callable[[C, int], str],
        flash: str,
    ) -> Template | Redirect:
        """Archive after the confirmation box; *action* takes the version."""
        claim = await self.writable(principal, claim_id)
        form = self.form_of(claim, data.back)
        if not confirmed(data.confirm):
            return self.render(
                request,
                form,
                claim=claim,
                errors={"archive.confirm": form_message("confirm")},
                status_code=400,
            )

        async def rerender(exc: Refused, status: int) -> Template:
            return self.render(
                request, form, claim=claim, status_code=status, **refusal_context(exc)
            )

        return await submit(
            request,
            action(read_version(data.version)),
            rerender=rerender,
            to=lambda result: to(claim, result),
            flash=flash,
        )
