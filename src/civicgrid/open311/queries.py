"""Read side of the Open311 server: client applications, and the requests filed through it
with their public state (read through ``appeals.queries.public``, never the appeal tables).

Only requests filed through Open311 are listed: their reporters published them to an open
protocol, whereas hotline and portal appeals carry callers' words given under the 12345
confidentiality rules (docs/interop.md).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import public as appeal_public
from civicgrid.dispatch import queries as dispatch_queries
from civicgrid.dispatch.catalogue import CatalogueItem
from civicgrid.errors import NotFound
from civicgrid.open311.models import Open311Client, Open311Request


def clients(session: Session) -> Sequence[Open311Client]:
    """Every client application, newest first."""
    return session.scalars(select(Open311Client).order_by(Open311Client.id.desc())).all()


def find_client_by_hash(session: Session, key_hash: str) -> Open311Client | None:
    return session.scalars(
        select(Open311Client).where(Open311Client.key_hash == key_hash)
    ).one_or_none()


def get_client(session: Session, client_id: int) -> Open311Client:
    client = session.get(Open311Client, client_id)
    if client is None:
        raise NotFound(f"没有编号为 {client_id} 的 Open311 客户端 (no such client)")
    return client


def find_client_by_name(session: Session, name: str) -> Open311Client | None:
    return session.scalars(
        select(Open311Client).where(Open311Client.name == name.strip())
    ).one_or_none()


def active_items(session: Session) -> list[CatalogueItem]:
    """The active catalogue items, through the dispatch catalogue's queries."""
    return [
        dispatch_queries.to_item(row)
        for row in dispatch_queries.catalogue_rows(session, active_only=True)
    ]


def catalogue_changed_at(session: Session) -> datetime | None:
    """When the catalogue last changed (the services' ``changeset``)."""
    rows = dispatch_queries.catalogue_rows(session)
    return max((r.updated_at for r in rows), default=None)


@dataclass(frozen=True, slots=True)
class RequestView:
    """One request as Open311 answers it: the public state of the appeal and what the client
    application sent beside it."""

    state: appeal_public.PublicAppeal
    record: Open311Request


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """The filters of ``GET requests``: ids override everything else."""

    ids: Sequence[str] = ()
    service_codes: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: Collection[str] | None = None


def _id_selection(flt: RequestFilter) -> appeal_public.IdSelection:
    stmt = select(Open311Request.appeal_id)
    if flt.ids:
        return stmt.where(Open311Request.service_request_id.in_(list(flt.ids)))
    if flt.service_codes:
        stmt = stmt.where(Open311Request.service_code.in_(list(flt.service_codes)))
    if flt.start is not None:
        stmt = stmt.where(Open311Request.requested_at >= flt.start)
    if flt.end is not None:
        stmt = stmt.where(Open311Request.requested_at <= flt.end)
    return stmt


def _records(session: Session, appeal_ids: Sequence[int]) -> dict[int, Open311Request]:
    if not appeal_ids:
        return {}
    rows = session.scalars(
        select(Open311Request).where(Open311Request.appeal_id.in_(list(appeal_ids)))
    ).all()
    return {r.appeal_id: r for r in rows}


def list_requests(
    session: Session, flt: RequestFilter, *, offset: int, limit: int
) -> list[RequestView]:
    """One page of requests, newest first. Four statements whatever the page size."""
    statuses = None if flt.ids else flt.statuses
    states = appeal_public.public_appeals(
        session, _id_selection(flt), statuses=statuses, offset=offset, limit=limit
    )
    records = _records(session, [s.id for s in states])
    return [RequestView(state, records[state.id]) for state in states]


def get_request(session: Session, service_request_id: str) -> RequestView:
    """One request by its id (the appeal number); NotFound when Open311 did not file it."""
    found = list_requests(
        session, RequestFilter(ids=[service_request_id.strip()]), offset=0, limit=1
    )
    if not found:
        raise NotFound(f"没有编号为 {service_request_id} 的服务请求 (no such service_request_id)")
    return found[0]


def request_updates(
    session: Session, *, since: datetime, until: datetime, limit: int
) -> list[appeal_public.PublicStep]:
    """The public steps of every Open311 request at ``since`` ≤ at ≤ ``until``, oldest first."""
    return appeal_public.public_steps(
        session, select(Open311Request.appeal_id), since=since, until=until, limit=limit
    )
