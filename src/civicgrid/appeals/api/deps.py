"""What every appeals endpoint shares: the URL prefix, the cipher and media dependencies and the
detail answered after a change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from civicgrid.appeals import queries, service
from civicgrid.appeals.read_models import render_detail
from civicgrid.appeals.schemas import AppealRead
from civicgrid.auth.actor import Actor
from civicgrid.config import Settings
from civicgrid.deps import field_cipher, settings_of
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore

PREFIX = "/api/v1/appeals"


# These two are async and read the settings from the app themselves: a synchronous dependency
# (``AppSettings`` included) costs a hop to the thread pool on every request.
async def _cipher(request: Request) -> FieldCipher:
    return field_cipher(settings_of(request))


async def _media(request: Request) -> service.MediaPolicy:
    return media_policy(settings_of(request))


def media_policy(settings: Settings) -> service.MediaPolicy:
    """Where the photos of ``settings`` go and how large they may be."""
    return service.MediaPolicy(
        store=LocalMediaStore(settings.media_dir), max_bytes=settings.media_max_bytes
    )


Cipher = Annotated[FieldCipher, Depends(_cipher)]
Media = Annotated[service.MediaPolicy, Depends(_media)]


def detail_after(
    session: Session, actor: Actor, appeal_id: int, cipher: FieldCipher, now: datetime
) -> AppealRead:
    """The appeal as the actor sees it now (the answer of reads and of every action)."""
    return render_detail(session, queries.by_id_for(session, actor, appeal_id), actor, cipher, now)
