"""Shared pieces of the console and portal pages: the cipher and media dependencies, the role
check, parsing of points, photos and local date-times typed into forms, the flash messages
of post/redirect/get, refusals keyed by field, photos kept across a refused post and the
one-time form token of create forms."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import Depends, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.clock import BEIJING, to_beijing
from civicgrid.deps import AppSettings, field_cipher
from civicgrid.errors import Conflict, DomainError, Forbidden, Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore, read_photo
from civicgrid.protect.idempotency import PENDING, Claim, find_or_claim, is_valid_key
from civicgrid.protect.models import IdempotentAnswer
from civicgrid.territory.locate import locate
from civicgrid.web.shared.render import is_htmx

MAX_UPLOADS = 9

T = TypeVar("T")

# --- shared helpers ---------------------------------------------------------------------------


def _cipher(settings: AppSettings) -> FieldCipher:
    return field_cipher(settings)


def _media(settings: AppSettings) -> service.MediaPolicy:
    return service.MediaPolicy(
        store=LocalMediaStore(settings.media_dir), max_bytes=settings.media_max_bytes
    )


Cipher = Annotated[FieldCipher, Depends(_cipher)]
Media = Annotated[service.MediaPolicy, Depends(_media)]


def require(actor: Actor, roles: frozenset[Role]) -> None:
    """403 unless the actor holds one of ``roles`` (hiding a link is not access control)."""
    if not actor.roles & roles:
        labels = "、".join(r.label for r in sorted(roles))
        raise Forbidden(f"没有权限：需要以下角色之一：{labels}")


def parse_point(lon_text: str, lat_text: str) -> tuple[float | None, float | None, str]:
    """Longitude and latitude typed or filled by the map; an error message when unreadable."""
    lon_text, lat_text = lon_text.strip(), lat_text.strip()
    if not lon_text and not lat_text:
        return None, None, ""
    try:
        return float(lon_text), float(lat_text), ""
    except ValueError:
        return None, None, "经纬度须为数字（单位：度），可在地图上点选位置自动填入"


def located_region_id(session: Session, lon: float | None, lat: float | None) -> int | None:
    """The grid holding the point, if the territory has one there."""
    if lon is None or lat is None:
        return None
    found = locate(session, lon, lat)
    return found.grid.region_id if found else None


def read_photos(files: list[UploadFile] | None, max_bytes: int) -> list[bytes]:
    """The bytes of the uploaded photos (empty file inputs are skipped); a photo over
    ``max_bytes`` is refused with its real size, the use case checks the type."""
    uploads = [upload for upload in files or [] if upload.filename]
    if len(uploads) > MAX_UPLOADS:
        raise Invalid(f"最多上传 {MAX_UPLOADS} 张照片", detail={"field": "photos"})
    return [read_photo(upload.file, max_bytes=max_bytes) for upload in uploads]


def parse_local_datetime(text: str) -> datetime | None:
    """A ``datetime-local`` value read as Beijing time, returned as aware UTC."""
    text = text.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Invalid("时间格式应为 2026-12-01T17:00", detail={"field": "new_due_at"}) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    return parsed.astimezone(BEIJING)


def local_input(value: datetime | None) -> str:
    """An aware timestamp as a ``datetime-local`` value in Beijing time."""
    return to_beijing(value).strftime("%Y-%m-%dT%H:%M") if value else ""


DONE_MESSAGES = {
    "submit": "诉求已登记。",
}


def flash_for(request: Request) -> list[str]:
    """The post/redirect/get confirmation named by ``?done=``."""
    done = request.query_params.get("done", "")
    if not done:
        return []
    if done in DONE_MESSAGES:
        return [DONE_MESSAGES[done]]
    try:
        return [f"已完成操作：{Action(done).label}"]
    except ValueError:
        return []


def refusal(response: Response, request: Request) -> Response:
    """Mark an htmx form fragment rendered for a refusal (403, 409 …), so that the page swaps
    it in like a 422 (see static/js/app.js)."""
    if is_htmx(request):
        response.headers["X-Form-Fragment"] = "1"
    return response


# --- errors beside their fields -----------------------------------------------------------------

FieldErrors = dict[str, str]
"""Messages keyed by the form field they concern (``""`` for the form as a whole), in the order
they were found; the first one is focused and scrolled into view (``autofocus``)."""


def field_errors(exc: DomainError) -> FieldErrors:
    """The refusal of a use case, keyed by the field its ``detail`` names (if any)."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    field = detail.get("field")
    return {field if isinstance(field, str) else "": exc.message}


# --- photos kept across a refused post ----------------------------------------------------------

PENDING_DIR = "pending"
_KEPT_TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_PENDING = timedelta(days=1)


def _pending_path(media_dir: Path, user_id: int | None, token: str) -> Path:
    return media_dir / PENDING_DIR / f"{user_id}-{token}"


def keep_photos(
    media_dir: Path, user_id: int | None, photos: list[bytes], *, now: datetime
) -> list[str]:
    """Keep uploaded photos on the server while the form is shown again; the tokens name them
    in hidden fields (only this user can take them back). Files older than a day are removed."""
    folder = media_dir / PENDING_DIR
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = (now - KEEP_PENDING).timestamp()
    for old in folder.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    tokens: list[str] = []
    for photo in photos:
        token = secrets.token_hex(16)
        _pending_path(media_dir, user_id, token).write_bytes(photo)
        tokens.append(token)
    return tokens


def kept_photos(media_dir: Path, user_id: int | None, tokens: list[str]) -> list[tuple[str, bytes]]:
    """The photos kept under ``tokens`` for this user (unknown or foreign tokens are skipped)."""
    found: list[tuple[str, bytes]] = []
    for token in dict.fromkeys(tokens):
        if not _KEPT_TOKEN.match(token):
            continue
        path = _pending_path(media_dir, user_id, token)
        if path.is_file():
            found.append((token, path.read_bytes()))
    return found


def drop_kept(media_dir: Path, user_id: int | None, tokens: list[str]) -> None:
    """Remove kept photos once the form went through."""
    for token in tokens:
        if _KEPT_TOKEN.match(token):
            _pending_path(media_dir, user_id, token).unlink(missing_ok=True)


# --- one-time form tokens -----------------------------------------------------------------------

_PAGE_FORM_DIGEST = "page-form"
ALREADY_SENT = "这张表单已经提交，正在处理，请勿重复提交；稍后可在列表中查看结果"


def new_form_token() -> str:
    """A token for one showing of a create form (a hidden field): the first post with it
    stores, a repeated post (Back + submit, double click) shows the first result."""
    return secrets.token_urlsafe(24)


def _form_scope(request: Request, actor: Actor) -> str:
    return f"form {request.url.path} user:{actor.user_id}"[:200]


def _replayed(session: Session, scope: str, token: str) -> Response | None:
    """The first post's redirect, when the token was used and its answer is stored."""
    row = session.execute(
        select(IdempotentAnswer).where(
            IdempotentAnswer.scope == scope, IdempotentAnswer.idempotency_key == token
        )
    ).scalar_one_or_none()
    if row is None or row.status_code == PENDING:
        return None
    location = json.loads(row.headers_json or "{}").get("location", "/")
    return RedirectResponse(location, status_code=303)


USED_ONCE = 200


def _claim_form(
    session: Session, scope: str, token: str, now: datetime, keep_hours: int
) -> Claim | None:
    """A new claim of ``token`` flushed in ``session``, or None (the session rolled back) when
    the token was claimed already, answered or not."""
    try:
        outcome = find_or_claim(
            session,
            scope=scope,
            key=token,
            digest=_PAGE_FORM_DIGEST,
            now=now,
            keep=timedelta(hours=keep_hours),
        )
    except Conflict:
        session.rollback()
        return None
    if isinstance(outcome, Response):
        session.rollback()
        return None
    return outcome


def use_once(
    request: Request,
    session: Session,
    actor: Actor,
    token: str,
    *,
    now: datetime,
    keep_hours: int,
) -> bool:
    """Claim a one-time form token for a post that shows something once and stores no answer
    (the register's reveal): True the first time, with the claim marked used in ``session``'s
    transaction (committed with what the use case writes, rolled back with its refusal, so a
    refused post may be sent again); False when the token was used already (a reload re-posting
    the form). Only the token's use is kept, never what the page showed. Without a valid token
    (an old page) it claims nothing and returns True, as ``submit_once`` runs the use case."""
    if not token or not is_valid_key(token):
        return True
    claim = _claim_form(session, _form_scope(request, actor), token, now, keep_hours)
    if claim is None:
        return False
    session.execute(
        update(IdempotentAnswer)
        .where(IdempotentAnswer.id == claim.answer_id)
        .values(status_code=USED_ONCE)
    )
    return True


def submit_once(
    request: Request,
    session: Session,
    actor: Actor,
    token: str,
    call: Callable[[], T],
    *,
    redirect: Callable[[T], str],
    refused: Callable[[FieldErrors, int], Response],
    now: datetime,
    keep_hours: int,
    refuse: tuple[type[DomainError], ...] = (Invalid, Conflict),
) -> Response:
    """Run a create use case once per form token (claimed in the idempotency store, committed
    with what the use case writes) and redirect to its result; a post repeating a used token
    is redirected to the first result and stores nothing. Refusals come back keyed by field.
    Without a token (an old page, an API-like client) the use case simply runs."""
    scope = _form_scope(request, actor)
    claim: Claim | None = None
    if token and is_valid_key(token):
        claim = _claim_form(session, scope, token, now, keep_hours)
        if claim is None:
            replay = _replayed(session, scope, token)
            return replay if replay is not None else refused({"": ALREADY_SENT}, 409)
    try:
        result = call()
    except refuse as exc:
        session.rollback()
        return refused(field_errors(exc), exc.status_code)
    target = redirect(result)
    if claim is not None:
        session.execute(
            update(IdempotentAnswer)
            .where(IdempotentAnswer.id == claim.answer_id)
            .values(status_code=303, headers_json=json.dumps({"location": target}))
        )
        session.commit()
    return RedirectResponse(target, status_code=303)
