"""Intake dispositions (国办函〔2025〕66号, DOMAIN §2.2) for appeals that never reach a unit:
answer from the knowledge base, transfer to 110/119/120/122, tell the legal route, explain,
refer to the police, then close; and 并单 (merge a duplicate into an open order). Each use case
is one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.service.common import (
    check_version,
    get_target_by_number,
    load_for_action,
    owner_recipients,
    record_change,
    transition,
)
from civicgrid.appeals.states import INTAKE_DISPOSITION_STATUSES, AppealStatus, EmergencyLine
from civicgrid.appeals.workflow import INTAKE, Action, ActionInput, check_input
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Invalid


def _dispose(
    session: Session,
    appeal: Appeal,
    action: Action,
    *,
    actor: Actor,
    now: datetime,
    text: str | None,
    data: ActionInput,
    detail: dict[str, object] | None = None,
) -> None:
    check_input(action, data, now=now)
    note = (text or "").strip()
    appeal.disposition = action.value
    appeal.disposition_note = note
    transition(
        session,
        appeal,
        action,
        actor=actor,
        now=now,
        note=note,
        detail=dict(detail or {}),
        notify=owner_recipients(appeal),
    )


def _dispose_with_text(
    session: Session,
    action: Action,
    *,
    appeal_id: int,
    text: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None,
) -> Appeal:
    """The dispositions whose only input is the text given to the caller."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    _dispose(session, appeal, action, actor=actor, now=now, text=text, data=ActionInput(text=text))
    return appeal


@use_case
def answer_directly(
    session: Session,
    *,
    appeal_id: int,
    text: str,
    knowledge_article_id: int | None = None,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """直接答复: answer an inquiry at intake, usually from a knowledge-base article."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    detail: dict[str, object] = {}
    if knowledge_article_id is not None:
        article = queries.knowledge_article(session, knowledge_article_id)
        appeal.knowledge_article_id = article.id
        detail = {"knowledge_article_id": article.id, "knowledge_title": article.title}
    _dispose(
        session,
        appeal,
        Action.ANSWER_DIRECTLY,
        actor=actor,
        now=now,
        text=text,
        data=ActionInput(text=text),
        detail=detail,
    )
    return appeal


@use_case
def transfer_emergency(
    session: Session,
    *,
    appeal_id: int,
    line: EmergencyLine | None,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """转紧急热线: hand the caller over to 110, 119, 120 or 122."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    _dispose(
        session,
        appeal,
        Action.TRANSFER_EMERGENCY,
        actor=actor,
        now=now,
        text=note or (line.label if line else ""),
        data=ActionInput(emergency_line=line),
        detail={"line": line.value if line else ""},
    )
    return appeal


@use_case
def redirect_legal_route(
    session: Session,
    *,
    appeal_id: int,
    text: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """告知法定途径: litigation, arbitration, 行政复议, 信访 … (the route goes in ``text``)."""
    return _dispose_with_text(
        session,
        Action.REDIRECT_LEGAL_ROUTE,
        appeal_id=appeal_id,
        text=text,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )


@use_case
def explain(
    session: Session,
    *,
    appeal_id: int,
    text: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """解释说明: not admissible (illegal, secrets, privacy, 公序良俗); the explanation given."""
    return _dispose_with_text(
        session,
        Action.EXPLAIN,
        appeal_id=appeal_id,
        text=text,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )


@use_case
def refer_police(
    session: Session,
    *,
    appeal_id: int,
    text: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """移交公安: malicious disruption of the hotline, referred to the police."""
    return _dispose_with_text(
        session,
        Action.REFER_POLICE,
        appeal_id=appeal_id,
        text=text,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )


@use_case
def close_disposed(
    session: Session,
    *,
    appeal_id: int,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """归档结案: close an appeal disposed of at intake."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    appeal.closed_at = now
    transition(session, appeal, Action.CLOSE, actor=actor, now=now, note=note.strip())
    return appeal


@use_case
def merge(
    session: Session,
    *,
    appeal_id: int,
    target_number: str,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """并单: join a duplicate to an open order. The duplicate keeps its caller, who is called
    back on their own (see ``closing.callback``). Idempotent: merging an appeal again into the
    order it was merged into (a double click on 合并到此工单) changes and writes nothing and
    returns it as it is, whatever version the repeated request carried."""
    appeal = load_for_action(session, actor, appeal_id, None)
    check_input(Action.MERGE, ActionInput(merge_target_no=target_number), now=now)
    target = get_target_by_number(session, actor, target_number)
    repeated = appeal.status == AppealStatus.MERGED.value and appeal.merged_into_id == target.id
    if repeated and actor.has_role(*INTAKE):
        return appeal
    check_version(appeal, expected_version)
    target_status = AppealStatus(target.status)
    if target.id == appeal.id:
        raise Invalid(
            "不能并入自身",
            detail={"field": "merge_target_no"},
        )
    if target_status.terminal or target_status in INTAKE_DISPOSITION_STATUSES:
        raise Invalid(
            f"目标工单 {target.number} 状态为“{target_status.label}”，不能并入",
            detail={"field": "merge_target_no"},
        )
    appeal.merged_into_id = target.id
    transition(
        session,
        appeal,
        Action.MERGE,
        actor=actor,
        now=now,
        note=note.strip(),
        detail={"target_id": target.id, "target_number": target.number},
        notify=owner_recipients(appeal),
    )
    record_change(
        session,
        target,
        action="merge_in",
        actor=actor,
        role=None,
        now=now,
        from_status=target.status,
        note=f"并入工单 {appeal.number}",
        detail={"merged_id": appeal.id, "merged_number": appeal.number},
    )
    return appeal
