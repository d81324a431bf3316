"""Dispatchers' corrections of the classifier (派单纠错) and the database as a training
source: closed appeals with their category, corrected by the latest feedback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.dispatch import queries
from civicgrid.dispatch.models import DispatchFeedback
from civicgrid.dispatch.normalise import MAX_TEXT_CHARS
from civicgrid.dispatch.service.classify import classify_text
from civicgrid.errors import Invalid


@use_case
def record_feedback(
    session: Session,
    *,
    appeal_id: int,
    chosen_code: str,
    actor: Actor,
    models_dir: Path,
    now: datetime,
) -> DispatchFeedback:
    """Store the dispatcher's category for an appeal beside what the model proposed, as
    training feedback (派单纠错). The code must name an active catalogue item."""
    appeal = appeal_queries.by_id_for(session, actor, appeal_id)
    row = queries.find_catalogue_row(session, chosen_code)
    if row is None or not row.is_active:
        raise Invalid(
            f"派单目录中没有启用的编码为 {chosen_code} 的事项", detail={"field": "chosen_code"}
        )
    text = queries.appeal_text(appeal)
    predicted_label, probability, version = "", None, ""
    try:
        classification = classify_text(session, text, models_dir=models_dir, k=1)
    except Invalid:
        classification = None
    if classification is not None and classification.top is not None:
        predicted_label = classification.top.label
        probability = classification.top.probability
        version = classification.model_version or ""
    feedback = DispatchFeedback(
        appeal_id=appeal.id,
        text=text[:MAX_TEXT_CHARS],
        predicted_label=predicted_label,
        predicted_probability=probability,
        model_version=version,
        chosen_code=row.code,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        at=now,
    )
    session.add(feedback)
    session.flush()
    record(
        session,
        actor=actor,
        action="dispatch.feedback",
        subject_type="appeal",
        subject_id=appeal.id,
        now=now,
        detail={
            "number": appeal.number,
            "predicted": predicted_label,
            "probability": probability,
            "chosen": row.code,
            "agrees": predicted_label == row.code,
        },
    )
    return feedback


def training_pairs(session: Session, now: datetime) -> list[tuple[str, str]]:
    """(text, label) pairs from the database: closed appeals with their category, where the
    dispatcher's latest correction of an appeal replaces the stored category, plus corrected
    appeals that are not closed yet (see :func:`~civicgrid.dispatch.queries.labelled_appeals`)."""
    return [(a.text, a.label) for a in queries.labelled_appeals(session, now)]
