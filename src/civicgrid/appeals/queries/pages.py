"""Reads of appeals in the shapes the console and portal pages use, so that ``civicgrid.web``
never imports ``civicgrid.appeals.models`` itself.

* :data:`AppealRecord`: the appeal as every read function here and in ``access`` returns it;
  pages annotate with this name. Which appeals a page may see is still decided only by
  ``access.by_id_for`` / ``access.list_for`` (data scope) or ``tracking.find_for_tracking``
  (the caller's proof); nothing here widens that.
* :func:`public_record`: what the caller sees of an appeal beside the appeal itself (the
  timeline and the caller's own rating), for an appeal already loaded through one of those.
* :func:`main_order`: the order a merged (并单) appeal joined, whose status and public reply
  that appeal's caller sees; the page shows nothing else of it (not its number, not its caller).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from sqlalchemy.orm import Session

from civicgrid.appeals.models import Appeal, Callback, TimelineEvent
from civicgrid.appeals.queries.records import callbacks, self_rating_for_round, timeline
from civicgrid.appeals.self_service_rules import CallbackChannel
from civicgrid.appeals.states import AppealStatus

AppealRecord: TypeAlias = Appeal


@dataclass(frozen=True, slots=True)
class PublicRecord:
    """The public side of one appeal: its events (oldest first) and the caller's rating of the
    current reply round (or, once closed, their last self-service rating)."""

    events: Sequence[TimelineEvent]
    rating: Callback | None


def public_record(session: Session, appeal: AppealRecord) -> PublicRecord:
    """The timeline and the caller's own rating of ``appeal``, which the caller has already
    reached through a scoped or proof-checked read. Two statements, a third only for a closed
    appeal without a rating of its last round."""
    events = timeline(session, appeal.id)
    rating = self_rating_for_round(session, appeal.id, appeal.reopen_count)
    if rating is None and appeal.status == AppealStatus.CLOSED.value:
        rating = next(
            (
                c
                for c in reversed(callbacks(session, appeal.id))
                if c.channel == CallbackChannel.SELF_SERVICE.value
            ),
            None,
        )
    return PublicRecord(events=events, rating=rating)


def main_order(session: Session, appeal: AppealRecord) -> AppealRecord | None:
    """The order ``appeal`` was merged into, or None when it was not merged. ``appeal`` was
    reached through a scoped or proof-checked read; the caller of ``appeal`` may see the main
    order's status and reply only, never its number or its caller (pages pick those fields)."""
    if appeal.merged_into_id is None:
        return None
    return session.get(Appeal, appeal.merged_into_id)
