"""Read side of appeals: the records kept beside an appeal (timeline, attachments, callbacks,
extensions, send-backs, whistles, supervision, merged duplicates), the knowledge base and the
working-day calendar. Callers load the appeal through ``access.by_id_for`` first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from civicgrid.appeals.calendar import WorkingCalendar
from civicgrid.appeals.models import (
    Appeal,
    AppealUnit,
    Attachment,
    Callback,
    Extension,
    KnowledgeArticle,
    ReturnRequest,
    Supervision,
    TimelineEvent,
    Whistle,
    WorkingDayOverride,
)
from civicgrid.errors import NotFound
from civicgrid.kit.search import LIKE_ESCAPE, contains_pattern

# --- records beside an appeal ------------------------------------------------------------


def timeline(session: Session, appeal_id: int) -> Sequence[TimelineEvent]:
    """The appeal's events, oldest first."""
    return session.scalars(
        select(TimelineEvent).where(TimelineEvent.appeal_id == appeal_id).order_by(TimelineEvent.id)
    ).all()


def attachments(session: Session, appeal_id: int) -> Sequence[Attachment]:
    return session.scalars(
        select(Attachment).where(Attachment.appeal_id == appeal_id).order_by(Attachment.id)
    ).all()


def attachment_for(session: Session, appeal: Appeal, attachment_id: int) -> Attachment:
    found = session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.appeal_id == appeal.id)
    )
    if found is None:
        raise NotFound(f"附件不存在：{attachment_id} (no such attachment)")
    return found


def callbacks(session: Session, appeal_id: int) -> Sequence[Callback]:
    return session.scalars(
        select(Callback).where(Callback.appeal_id == appeal_id).order_by(Callback.id)
    ).all()


def extensions(session: Session, appeal_id: int) -> Sequence[Extension]:
    return session.scalars(
        select(Extension).where(Extension.appeal_id == appeal_id).order_by(Extension.id)
    ).all()


def pending_extension(session: Session, appeal_id: int) -> Extension | None:
    return session.scalar(
        select(Extension)
        .where(Extension.appeal_id == appeal_id, Extension.decision == "pending")
        .order_by(Extension.id.desc())
    )


def returns(session: Session, appeal_id: int) -> Sequence[ReturnRequest]:
    return session.scalars(
        select(ReturnRequest).where(ReturnRequest.appeal_id == appeal_id).order_by(ReturnRequest.id)
    ).all()


def pending_return(session: Session, appeal_id: int) -> ReturnRequest | None:
    return session.scalar(
        select(ReturnRequest)
        .where(ReturnRequest.appeal_id == appeal_id, ReturnRequest.decision == "pending")
        .order_by(ReturnRequest.id.desc())
    )


def supervisions(session: Session, appeal_id: int) -> Sequence[Supervision]:
    return session.scalars(
        select(Supervision).where(Supervision.appeal_id == appeal_id).order_by(Supervision.id)
    ).all()


def whistles(session: Session, appeal_id: int) -> Sequence[Whistle]:
    return session.scalars(
        select(Whistle).where(Whistle.appeal_id == appeal_id).order_by(Whistle.id)
    ).all()


def merged_into(session: Session, appeal_id: int) -> Sequence[Appeal]:
    """The duplicates merged into ``appeal_id`` (每个并单诉求人仍需回访)."""
    return session.scalars(
        select(Appeal).where(Appeal.merged_into_id == appeal_id).order_by(Appeal.id)
    ).all()


def active_units(appeal: Appeal) -> list[AppealUnit]:
    """The current lead unit first, then co-units."""
    units = [u for u in appeal.units if u.released_at is None]
    return sorted(units, key=lambda u: (u.role != "lead", u.id))


def lead_unit(appeal: Appeal) -> AppealUnit | None:
    return next((u for u in active_units(appeal) if u.role == "lead"), None)


# --- knowledge base and calendar -----------------------------------------------------------


def search_knowledge(
    session: Session, query: str, *, limit: int = 20, include_inactive: bool = False
) -> Sequence[KnowledgeArticle]:
    """Knowledge articles whose title, keywords or body contain every word of ``query``
    (words split on spaces and commas); title hits first."""
    words = [w for w in query.replace(",", " ").replace("，", " ").split() if w]
    stmt = select(KnowledgeArticle)
    if not include_inactive:
        stmt = stmt.where(KnowledgeArticle.is_active.is_(True))
    for word in words:
        needle = contains_pattern(word.lower())
        stmt = stmt.where(
            or_(
                func.lower(KnowledgeArticle.title).like(needle, escape=LIKE_ESCAPE),
                func.lower(KnowledgeArticle.keywords).like(needle, escape=LIKE_ESCAPE),
                func.lower(KnowledgeArticle.body).like(needle, escape=LIKE_ESCAPE),
            )
        )
    rows = session.scalars(stmt.order_by(KnowledgeArticle.id).limit(500)).all()
    first = words[0].lower() if words else ""
    ranked = sorted(rows, key=lambda a: (first not in a.title.lower(), a.id))
    return ranked[:limit]


def knowledge_article(session: Session, article_id: int) -> KnowledgeArticle:
    found = session.get(KnowledgeArticle, article_id)
    if found is None:
        raise NotFound(f"知识库条目不存在：{article_id} (no such knowledge article)")
    return found


def working_day_overrides(
    session: Session, *, start: date | None = None, end: date | None = None
) -> Sequence[WorkingDayOverride]:
    stmt = select(WorkingDayOverride).order_by(WorkingDayOverride.day)
    if start is not None:
        stmt = stmt.where(WorkingDayOverride.day >= start)
    if end is not None:
        stmt = stmt.where(WorkingDayOverride.day <= end)
    return session.scalars(stmt).all()


def load_calendar(session: Session) -> WorkingCalendar:
    """The working calendar: chinese-calendar plus the editable override table."""
    rows = session.execute(select(WorkingDayOverride.day, WorkingDayOverride.is_working)).all()
    return WorkingCalendar({day: bool(is_working) for day, is_working in rows})


def self_rating_for_round(session: Session, appeal_id: int, round_: int) -> Callback | None:
    """The caller's own rating (自助评价) of reply round ``round_``, if one was given."""
    return session.scalar(
        select(Callback)
        .where(
            Callback.appeal_id == appeal_id,
            Callback.round == round_,
            Callback.channel == "self_service",
        )
        .order_by(Callback.id)
        .limit(1)
    )
