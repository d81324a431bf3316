"""The one shape of a page form post: the actor is loaded by the route's dependencies, one use
case is called, a refusal re-renders the page with the message and its status (422 for invalid
input, 409 for a wrong step), and success redirects (post/redirect/get).

Forbidden and NotFound are not caught unless a form says so (the appeal action forms show a
Forbidden beside the form): they reach the application's error page like any other request.
Page modules describe their steps as tables (``{action: step}``) and call :func:`perform_step`;
single forms call :func:`perform`; the appeal workflow forms take their steps from the appeals
action table (``web.shared.appeal_actions``) and call :func:`perform` too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import ActingAs, Actor
from civicgrid.errors import Conflict, DomainError, Invalid
from civicgrid.web.shared.render import error_page

T = TypeVar("T")

Refused = Callable[[list[str], int], Response]
"""Re-render the page with these messages and this status code."""

RefusedBy = Callable[[DomainError], Response]
"""Re-render the page from the refusal itself (its type, message, status and detail)."""


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form as plain strings (the CSRF check already parsed and cached it)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


Form = Annotated[dict[str, str], Depends(form_fields)]


@dataclass(frozen=True, slots=True)
class FormCall:
    """What a step needs to call its use case: the unit of work, who acts and when, the posted
    fields and the id in the URL (0 for forms without one)."""

    session: Session
    actor: Actor
    now: datetime
    form: dict[str, str]
    target: int = 0

    @property
    def by(self) -> ActingAs:
        """``actor=`` and ``now=`` for the use case (``**call.by``; mypy checks the keys)."""
        return {"actor": self.actor, "now": self.now}

    def text(self, key: str) -> str:
        """A posted field, empty when missing (the use case validates it)."""
        return self.form.get(key, "")


Step = Callable[[FormCall], object]


def perform(
    call: Callable[[], T],
    *,
    redirect: str | Callable[[T], str | Response],
    refused: Refused,
    refuse: tuple[type[DomainError], ...] = (Invalid, Conflict),
) -> Response:
    """Run one use case: a 303 to ``redirect`` on success (a callable gets the use case's
    result, e.g. to name a created row, and may answer itself, e.g. with an htmx fragment); an
    error of ``refuse`` (Invalid or Conflict unless told) becomes ``refused(messages,
    status)``."""
    return perform_refused_by(
        call,
        redirect=redirect,
        refused_by=lambda exc: refused([exc.message], exc.status_code),
        refuse=refuse,
    )


def perform_refused_by(
    call: Callable[[], T],
    *,
    redirect: str | Callable[[T], str | Response],
    refused_by: RefusedBy,
    refuse: tuple[type[DomainError], ...] = (Invalid, Conflict),
) -> Response:
    """:func:`perform` for a form whose refusal page needs the error itself: the problems a
    file import lists in its ``detail``, or a page that answers some error types otherwise."""
    try:
        result = call()
    except refuse as exc:
        return refused_by(exc)
    target = redirect if isinstance(redirect, str) else redirect(result)
    if isinstance(target, Response):
        return target
    return RedirectResponse(target, status_code=303)


def perform_step(
    request: Request,
    steps: Mapping[str, Step],
    action: str,
    call: FormCall,
    *,
    redirect: str,
    refused: Refused,
) -> Response:
    """Run the step named by ``action`` (404 page for an unknown action) through
    :func:`perform`."""
    step = steps.get(action)
    if step is None:
        return error_page(request, 404, "没有这个操作")
    return perform(lambda: step(call), redirect=redirect, refused=refused)
