"""The one shape of the three report forms (the operator's intake, the grid worker's 巡查上报 and
the resident's 随手拍): the posted fields they share, read by one dependency, and the steps
every report post takes — take back the photos kept from a refused post, read the new ones,
keep them all again when the post is refused, and record the report once per form token (a
repeated post shows the first result), dropping the kept photos once it went through.

A route depends on :data:`ReportPost` (and :data:`CallerPost` when it asks for the caller),
checks the role, then calls :meth:`ReportFields.upload` and :meth:`ReportUpload.submit_once`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.auth.actor import Actor
from civicgrid.errors import Conflict, DomainError, Invalid
from civicgrid.web.shared.forms import (
    FieldErrors,
    drop_kept,
    field_errors,
    keep_photos,
    kept_photos,
    read_photos,
    submit_once,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReportFields:
    """The fields every report form posts. ``appeal_type`` is empty when the post left it out
    (each form has its own default)."""

    appeal_type: str = ""
    title: str = ""
    content: str = ""
    address: str = ""
    lon: str = ""
    lat: str = ""
    form_token: str = ""
    kept_photo: list[str] = field(default_factory=list)
    photos: list[UploadFile] = field(default_factory=list)

    def upload(
        self, media: service.MediaPolicy, media_dir: Path, user_id: int | None, now: datetime
    ) -> ReportUpload:
        """The photos of this post: those kept for this user from a refused post, and the new
        ones read (an unreadable upload, e.g. too many photos, is kept as an error)."""
        kept = kept_photos(media_dir, user_id, self.kept_photo)
        try:
            new = read_photos(self.photos, media.max_bytes)
            error: FieldErrors = {}
        except Invalid as exc:
            new, error = [], field_errors(exc)
        return ReportUpload(media_dir, user_id, now, kept, new, error)


def report_fields(
    appeal_type: Annotated[str, Form()] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    content: Annotated[str, Form(max_length=10000)] = "",
    address: Annotated[str, Form(max_length=255)] = "",
    lon: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form(max_length=255)] = "",
    kept_photo: Annotated[list[str] | None, Form()] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> ReportFields:
    """Dependency: the shared fields of a posted report form."""
    return ReportFields(
        appeal_type, title, content, address, lon, lat, form_token,
        list(kept_photo or []), list(photos or []),
    )  # fmt: skip


ReportPost = Annotated[ReportFields, Depends(report_fields)]


@dataclass(frozen=True, slots=True)
class CallerFields:
    """Who is reporting, on the forms that ask (intake and 随手拍)."""

    caller_name: str = ""
    caller_phone: str = ""
    confidential: bool = False


def caller_fields(
    caller_name: Annotated[str, Form(max_length=50)] = "",
    caller_phone: Annotated[str, Form(max_length=30)] = "",
    confidential: Annotated[bool, Form()] = False,
) -> CallerFields:
    """Dependency: the caller's fields of a posted report form."""
    return CallerFields(caller_name, caller_phone, confidential)


CallerPost = Annotated[CallerFields, Depends(caller_fields)]


@dataclass
class ReportUpload:
    """The photos of one report post: ``kept`` (token, bytes) from an earlier refused post and
    the ``new`` ones; ``error`` when the new ones could not be read."""

    media_dir: Path
    user_id: int | None
    now: datetime
    kept: list[tuple[str, bytes]]
    new: list[bytes]
    error: FieldErrors
    _kept_again: list[str] | None = None

    @property
    def photos(self) -> tuple[bytes, ...]:
        """Every photo the report carries, the kept ones first."""
        return tuple([photo for _, photo in self.kept] + self.new)

    def keep(self) -> list[str]:
        """Keep the photos for the form shown again after a refusal; the tokens for its hidden
        fields (the new photos are stored once, however often this is asked)."""
        if self._kept_again is None:
            self._kept_again = [token for token, _ in self.kept] + keep_photos(
                self.media_dir, self.user_id, self.new, now=self.now
            )
        return self._kept_again

    def submit_once(
        self,
        request: Request,
        session: Session,
        actor: Actor,
        token: str,
        call: Callable[[tuple[bytes, ...]], T],
        *,
        redirect: Callable[[T], str],
        refused: Callable[[FieldErrors, int], Response],
        keep_hours: int,
        refuse: tuple[type[DomainError], ...] = (Invalid, Conflict),
    ) -> Response:
        """Record the report with all its photos once per form token
        (:func:`web.shared.forms.submit_once`); the kept photos are dropped once it went
        through, a refusal goes to ``refused`` (which keeps them with :meth:`keep`)."""

        def done(result: T) -> str:
            drop_kept(self.media_dir, self.user_id, [token for token, _ in self.kept])
            return redirect(result)

        return submit_once(
            request,
            session,
            actor,
            token,
            lambda: call(self.photos),
            redirect=done,
            refused=refused,
            now=self.now,
            keep_hours=keep_hours,
            refuse=refuse,
        )
