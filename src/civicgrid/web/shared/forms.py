"""Shared pieces of the console and portal pages: the cipher and media dependencies, the role
check, parsing of points, photos and local date-times typed into forms, and the flash messages
of post/redirect/get."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.clock import BEIJING, to_beijing
from civicgrid.deps import AppSettings, field_cipher
from civicgrid.errors import Forbidden, Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore
from civicgrid.territory.locate import locate
from civicgrid.web.shared.render import is_htmx

MAX_UPLOADS = 9

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
        return None, None, "经纬度须为数字，例如 116.4074 和 39.9042"


def located_region_id(session: Session, lon: float | None, lat: float | None) -> int | None:
    """The grid holding the point, if the territory has one there."""
    if lon is None or lat is None:
        return None
    found = locate(session, lon, lat)
    return found.grid.region_id if found else None


def read_photos(files: list[UploadFile] | None, max_bytes: int) -> list[bytes]:
    """The bytes of the uploaded photos (empty file inputs are skipped); the use case checks
    their type and size."""
    photos: list[bytes] = []
    for upload in files or []:
        if not upload.filename:
            continue
        photos.append(upload.file.read(max_bytes + 1))
    if len(photos) > MAX_UPLOADS:
        raise Invalid(f"最多上传 {MAX_UPLOADS} 张照片", detail={"field": "photos"})
    return photos


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
