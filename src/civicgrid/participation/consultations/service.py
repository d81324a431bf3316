"""Use cases of consultations (议事协商). Each is one transaction with its audit rows; the
workflow moves only through :func:`states.next_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.notify.service import Recipient, enqueue
from civicgrid.participation import access
from civicgrid.participation.consultations import queries
from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.models import (
    Consultation,
    ConsultationEvaluation,
    ConsultationMeeting,
    ConsultationOption,
    ConsultationParticipant,
    ConsultationTask,
    ConsultationVote,
)
from civicgrid.participation.fields import clean_text

MAX_OPTIONS = 10


def _load(session: Session, consultation_id: int) -> Consultation:
    found = session.get(Consultation, consultation_id)
    if found is None:
        raise NotFound(f"议题 {consultation_id} 不存在或不在您的范围内")
    return found


def load_for_manage(session: Session, actor: Actor, consultation_id: int) -> Consultation:
    """A consultation the actor manages: a managing role (403) and the region in scope (404)."""
    access.require_manager(actor, "管理议事协商")
    consultation = _load(session, consultation_id)
    access.check_scope(actor, consultation.region_path, "议题", consultation_id)
    return consultation


def audit_step(
    session: Session,
    consultation_id: int,
    verb: str,
    actor: Actor,
    now: datetime,
    **detail: object,
) -> None:
    """The audit row of one step on a consultation (``participation.consultation.<verb>``).
    Joins the caller's transaction."""
    access.audit(
        session,
        actor,
        f"participation.consultation.{verb}",
        "consultation",
        consultation_id,
        now,
        **detail,
    )


def touch(session: Session, consultation: Consultation, now: datetime) -> None:
    """Bump the consultation's version for a change to its participants or options. A
    concurrent step that loaded the same version (the notice, another edit) then gets a
    Conflict (409) instead of committing past this change, and this change gets one if such a
    step committed first (on PostgreSQL, where writers do not serialise as on SQLite). Joins
    the caller's transaction."""
    consultation.updated_at = now
    # An unchanged timestamp would be left out of the UPDATE, and so would the version bump.
    flag_modified(consultation, "updated_at")
    access.flush_versioned(session, "议题")


def _notify_region(
    session: Session, consultation: Consultation, subject: str, now: datetime
) -> None:
    """Tell the residents of the consultation's region, with a link to its page."""
    enqueue(
        session,
        recipient=Recipient("region", str(consultation.region_id)),
        subject=subject,
        link=f"/participation/consultations/{consultation.id}",
        now=now,
    )


def _move(
    session: Session,
    consultation: Consultation,
    action: st.ConsultationAction,
    actor: Actor,
    now: datetime,
    **detail: object,
) -> None:
    before = st.ConsultationStatus(consultation.status)
    after = st.next_status(before, action)
    consultation.status = after.value
    consultation.updated_at = now
    access.flush_versioned(session, "议题")
    audit_step(
        session,
        consultation.id,
        action.value,
        actor,
        now,
        from_status=before.value,
        to_status=after.value,
        **detail,
    )


def _eligible_resident(
    session: Session, consultation: Consultation, resident_id: int, today: date
) -> None:
    paths = access.current_residence_paths(session, resident_id, today)
    if not st.is_eligible(consultation.region_path, paths):
        raise Forbidden("该居民在本议题所属区域没有现居住登记，不能参与表决/评议")


# --- proposing and preparing -----------------------------------------------------------------


@dataclass(frozen=True)
class NewConsultation:
    """What a proposer gives."""

    title: str
    topic: str
    region_code: str
    level: st.ConsultationLevel = st.ConsultationLevel.COMMUNITY
    source: st.ConsultationSource = st.ConsultationSource.STAFF
    source_ref: str = ""
    options: tuple[str, ...] = ()


@use_case
def propose(
    session: Session, *, data: NewConsultation, actor: Actor, now: datetime
) -> Consultation:
    """Raise a topic. Staff raise it for a region in their scope (from their own work or from a
    hot problem); a resident raises it for the community they live in."""
    title = clean_text(data.title, "议题标题", 200)
    topic = clean_text(data.topic, "议题说明", 5000)
    levels = st.REGION_LEVELS[data.level]
    if access.is_staff(actor):
        access.require_manager(actor, "提出议题")
        if data.source is st.ConsultationSource.RESIDENT:
            raise Invalid("社区工作人员提出的议题来源应为“社区提出”或“热点问题”")
        region = access.region_in_scope(session, actor, data.region_code, levels, "议题")
    else:
        access.require_roles(actor, access.RESIDENT_ROLES, "提出议题")
        if data.source is not st.ConsultationSource.RESIDENT:
            raise Invalid("居民提出的议题来源应为“居民提议”")
        resident_id = access.require_linked_resident(session, actor)
        region = access.region_any(session, data.region_code, levels, "议题")
        paths = access.current_residence_paths(session, resident_id, now.date())
        if not st.is_eligible(region.path, paths):
            raise Forbidden("只能为您居住的社区提出议题")
    if data.source is st.ConsultationSource.HOT_PROBLEM and not data.source_ref.strip():
        raise Invalid("来源为热点问题时请填写热点问题的编号或名称")
    labels = [o.strip() for o in data.options if o.strip()]
    if len(labels) > MAX_OPTIONS or len(set(labels)) != len(labels):
        raise Invalid(f"表决方案最多 {MAX_OPTIONS} 个且不能重复")
    consultation = Consultation(
        title=title,
        topic=topic,
        level=data.level.value,
        source=data.source.value,
        source_ref=clean_text(data.source_ref, "来源说明", 100, required=False),
        region_id=region.id,
        region_path=region.path,
        status=st.ConsultationStatus.PROPOSED.value,
        proposed_by_user_id=actor.user_id,
        proposed_by_label=actor.display_name,
        created_at=now,
        updated_at=now,
    )
    session.add(consultation)
    session.flush()
    for position, label in enumerate(labels, start=1):
        clean_text(label, "方案", 200)
        session.add(
            ConsultationOption(consultation_id=consultation.id, label=label, position=position)
        )
    session.flush()
    audit_step(
        session,
        consultation.id,
        "propose",
        actor,
        now,
        source=data.source.value,
        region_id=region.id,
    )
    _notify_region(session, consultation, f"新议题：{title}", now)
    return consultation


@use_case
def add_participant(
    session: Session,
    *,
    consultation_id: int,
    category: st.ParticipantCategory,
    name: str,
    organisation: str = "",
    resident_id: int | None = None,
    actor: Actor,
    now: datetime,
) -> ConsultationParticipant:
    """Add a participant by 6+X category (before the resolution)."""
    consultation = load_for_manage(session, actor, consultation_id)
    status = st.ConsultationStatus(consultation.status)
    if status not in st.EDITABLE_PARTICIPANTS:
        raise Conflict(f"议题处于“{status.label}”状态，不能再增加参与人")
    if resident_id is not None:
        access.staff_resident(session, actor, resident_id)
    touch(session, consultation, now)
    participant = ConsultationParticipant(
        consultation_id=consultation.id,
        category=category.value,
        name=clean_text(name, "参与人姓名", 100),
        organisation=clean_text(organisation, "所在单位", 100, required=False),
        resident_id=resident_id,
        added_at=now,
    )
    session.add(participant)
    session.flush()
    audit_step(
        session,
        consultation.id,
        "add_participant",
        actor,
        now,
        participant_id=participant.id,
        category=category.value,
    )
    return participant


@use_case
def add_option(
    session: Session, *, consultation_id: int, label: str, actor: Actor, now: datetime
) -> ConsultationOption:
    """Add a voting option while the topic is still being prepared (议题征集)."""
    consultation = load_for_manage(session, actor, consultation_id)
    status = st.ConsultationStatus(consultation.status)
    if status not in st.EDITABLE_OPTIONS:
        raise Conflict("公告发布后不能再修改表决方案")
    label = clean_text(label, "方案", 200)
    existing = queries.options_of(session, consultation.id)
    if len(existing) >= MAX_OPTIONS:
        raise Invalid(f"表决方案最多 {MAX_OPTIONS} 个")
    if any(o.label == label for o in existing):
        raise Conflict("该方案已存在")
    touch(session, consultation, now)
    option = ConsultationOption(
        consultation_id=consultation.id, label=label, position=len(existing) + 1
    )
    session.add(option)
    session.flush()
    audit_step(session, consultation.id, "add_option", actor, now, option_id=option.id)
    return option


# --- notice, meetings, votes, resolution -------------------------------------------------------


@use_case
def publish_notice(
    session: Session,
    *,
    consultation_id: int,
    notice_text: str,
    materials: str = "",
    actor: Actor,
    now: datetime,
) -> Consultation:
    """Announce the consultation to participants with the materials in advance."""
    consultation = load_for_manage(session, actor, consultation_id)
    problems = st.notice_problems(
        participant_count=queries.participant_count(session, consultation.id),
        notice_text=notice_text,
        materials=materials,
    )
    st.next_status(st.ConsultationStatus(consultation.status), st.ConsultationAction.NOTICE)
    if problems:
        raise Invalid("；".join(problems), detail=problems)
    consultation.notice_text = notice_text.strip()
    consultation.materials = materials.strip()
    consultation.noticed_at = now
    _move(session, consultation, st.ConsultationAction.NOTICE, actor, now)
    return consultation


@use_case
def record_meeting(
    session: Session,
    *,
    consultation_id: int,
    held_at: datetime,
    place: str,
    attendee_count: int,
    minutes: str,
    actor: Actor,
    now: datetime,
) -> ConsultationMeeting:
    """Record a consultation meeting and its minutes; the first one moves the topic to HELD."""
    consultation = load_for_manage(session, actor, consultation_id)
    st.next_status(st.ConsultationStatus(consultation.status), st.ConsultationAction.HOLD)
    if held_at.tzinfo is None:
        raise Invalid("会议时间须带时区")
    if held_at > now:
        raise Invalid("会议时间不能晚于现在：请在会后记录会议纪要")
    if consultation.noticed_at is not None and held_at < consultation.noticed_at:
        raise Invalid("会议时间不能早于公告发布时间")
    if attendee_count < 1:
        raise Invalid("参会人数至少为 1")
    meeting = ConsultationMeeting(
        consultation_id=consultation.id,
        held_at=held_at,
        place=clean_text(place, "会议地点", 200),
        attendee_count=attendee_count,
        minutes=clean_text(minutes, "会议纪要", 20000),
        recorded_by_label=actor.display_name,
        recorded_at=now,
    )
    session.add(meeting)
    session.flush()
    _move(session, consultation, st.ConsultationAction.HOLD, actor, now, meeting_id=meeting.id)
    return meeting


@use_case
def cast_vote(
    session: Session,
    *,
    consultation_id: int,
    option_id: int,
    actor: Actor,
    now: datetime,
    resident_id: int | None = None,
) -> ConsultationVote:
    """One vote per eligible resident. A resident votes through the account linked to the
    register; staff record a vote on behalf of a resident (``resident_id``, e.g. collected on
    paper at the meeting)."""
    on_behalf = resident_id is not None
    if on_behalf:
        consultation = load_for_manage(session, actor, consultation_id)
        assert resident_id is not None
        access.staff_resident(session, actor, resident_id)
        voter = resident_id
    else:
        access.require_roles(actor, access.RESIDENT_ROLES, "参与表决")
        voter = access.require_linked_resident(session, actor)
        consultation = queries.get_for(session, actor, consultation_id, now.date())
    status = st.ConsultationStatus(consultation.status)
    if status not in st.VOTING:
        raise Conflict(f"议题处于“{status.label}”状态，当前不能表决")
    if option_id not in {o.id for o in queries.options_of(session, consultation.id)}:
        raise Invalid("所选方案不属于本议题")
    _eligible_resident(session, consultation, voter, now.date())
    if queries.vote_of(session, consultation.id, voter) is not None:
        raise Conflict("该居民已对本议题投过票，每人只能投一票")
    vote = ConsultationVote(
        consultation_id=consultation.id,
        option_id=option_id,
        resident_id=voter,
        cast_by_user_id=actor.user_id,
        on_behalf=on_behalf,
        cast_at=now,
    )
    # a concurrent vote of the same resident won the race
    access.add_unique(session, vote, "该居民已对本议题投过票，每人只能投一票")
    audit_step(session, consultation.id, "vote", actor, now, vote_id=vote.id, on_behalf=on_behalf)
    return vote


@use_case
def resolve(
    session: Session, *, consultation_id: int, resolution: str, actor: Actor, now: datetime
) -> Consultation:
    """Record the consultation's resolution (协商意见); the vote tally goes into the audit."""
    consultation = load_for_manage(session, actor, consultation_id)
    text = clean_text(resolution, "协商决议", 10000)
    counts = queries.tally_of(session, consultation.id)
    consultation.resolution = text
    consultation.resolved_at = now
    _move(
        session,
        consultation,
        st.ConsultationAction.RESOLVE,
        actor,
        now,
        tally={str(k): v for k, v in counts.items()},
    )
    return consultation


# --- implementation, feedback, evaluation -----------------------------------------------------


@use_case
def add_task(
    session: Session,
    *,
    consultation_id: int,
    title: str,
    assignee: str,
    due_on: date | None = None,
    actor: Actor,
    now: datetime,
) -> ConsultationTask:
    """Add an implementation task of the resolution."""
    consultation = load_for_manage(session, actor, consultation_id)
    status = st.ConsultationStatus(consultation.status)
    if status not in st.TASKS_OPEN:
        raise Conflict(f"议题处于“{status.label}”状态，不能增加落实任务")
    if due_on is not None and due_on < now.date():
        raise Invalid("完成期限不能早于今天")
    task = ConsultationTask(
        consultation_id=consultation.id,
        title=clean_text(title, "任务", 200),
        assignee=clean_text(assignee, "责任人/单位", 100),
        due_on=due_on,
        created_at=now,
    )
    session.add(task)
    session.flush()
    audit_step(session, consultation.id, "add_task", actor, now, task_id=task.id)
    return task


@use_case
def complete_task(
    session: Session, *, task_id: int, result: str, actor: Actor, now: datetime
) -> ConsultationTask:
    """Mark an implementation task done with its result."""
    access.require_manager(actor, "管理议事协商")
    task = session.get(ConsultationTask, task_id)
    if task is None:
        raise NotFound(f"落实任务 {task_id} 不存在")
    consultation = load_for_manage(session, actor, task.consultation_id)
    if st.ConsultationStatus(consultation.status) not in st.TASKS_OPEN:
        raise Conflict("议题不在落实阶段，不能修改任务")
    if task.done_at is not None:
        raise Conflict("该任务已完成")
    task.result = clean_text(result, "落实情况", 5000)
    task.done_at = now
    session.flush()
    audit_step(session, consultation.id, "complete_task", actor, now, task_id=task.id)
    return task


@use_case
def start_implementation(
    session: Session, *, consultation_id: int, actor: Actor, now: datetime
) -> Consultation:
    """Start carrying out the resolution; needs at least one task."""
    consultation = load_for_manage(session, actor, consultation_id)
    st.next_status(st.ConsultationStatus(consultation.status), st.ConsultationAction.IMPLEMENT)
    if not queries.tasks_of(session, consultation.id):
        raise Invalid("请先分解至少一项落实任务")
    _move(session, consultation, st.ConsultationAction.IMPLEMENT, actor, now)
    return consultation


@use_case
def publish_feedback(
    session: Session, *, consultation_id: int, feedback: str, actor: Actor, now: datetime
) -> Consultation:
    """Publish the implementation feedback to residents; every task must be done."""
    consultation = load_for_manage(session, actor, consultation_id)
    st.next_status(
        st.ConsultationStatus(consultation.status), st.ConsultationAction.PUBLISH_FEEDBACK
    )
    open_tasks = [t.title for t in queries.tasks_of(session, consultation.id) if t.done_at is None]
    if open_tasks:
        raise Invalid(f"尚有未完成的落实任务：{'、'.join(open_tasks)}", detail=open_tasks)
    consultation.feedback = clean_text(feedback, "落实反馈", 10000)
    consultation.feedback_at = now
    _move(session, consultation, st.ConsultationAction.PUBLISH_FEEDBACK, actor, now)
    _notify_region(
        session, consultation, f"议题“{consultation.title}”落实情况已公示，欢迎评议", now
    )
    return consultation


@use_case
def evaluate(
    session: Session,
    *,
    consultation_id: int,
    score: int,
    comment: str = "",
    actor: Actor,
    now: datetime,
) -> ConsultationEvaluation:
    """A resident's evaluation of the published outcome (1-5), once per resident."""
    access.require_roles(actor, access.RESIDENT_ROLES, "参与评议")
    resident_id = access.require_linked_resident(session, actor)
    consultation = queries.get_for(session, actor, consultation_id, now.date())
    status = st.ConsultationStatus(consultation.status)
    if status not in st.EVALUATING:
        raise Conflict(f"议题处于“{status.label}”状态，当前不能评议")
    st.check_score(score)
    _eligible_resident(session, consultation, resident_id, now.date())
    if queries.evaluation_of(session, consultation.id, resident_id) is not None:
        raise Conflict("您已评议过本议题")
    evaluation = ConsultationEvaluation(
        consultation_id=consultation.id,
        resident_id=resident_id,
        score=score,
        comment=clean_text(comment, "评议意见", 1000, required=False),
        created_at=now,
    )
    access.add_unique(session, evaluation, "您已评议过本议题")
    audit_step(session, consultation.id, "evaluate", actor, now, evaluation_id=evaluation.id)
    return evaluation


@use_case
def close_evaluation(
    session: Session, *, consultation_id: int, actor: Actor, now: datetime
) -> Consultation:
    """End the residents' evaluation; the consultation is then complete."""
    consultation = load_for_manage(session, actor, consultation_id)
    consultation.evaluated_at = now
    _move(session, consultation, st.ConsultationAction.CLOSE_EVALUATION, actor, now)
    return consultation


@use_case
def cancel(
    session: Session, *, consultation_id: int, reason: str, actor: Actor, now: datetime
) -> Consultation:
    """Withdraw a topic before its resolution, with a reason."""
    consultation = load_for_manage(session, actor, consultation_id)
    st.next_status(st.ConsultationStatus(consultation.status), st.ConsultationAction.CANCEL)
    consultation.cancel_reason = clean_text(reason, "撤销原因", 500)
    _move(session, consultation, st.ConsultationAction.CANCEL, actor, now)
    return consultation


@use_case
def link_resident_account(
    session: Session, *, user_id: int, resident_id: int, actor: Actor, now: datetime
) -> int:
    """Link a resident account to a register resident (after checking the person); returns the
    link id. Votes, evaluations and orders of the account then count for that resident."""
    return access.link_resident(
        session, user_id=user_id, resident_id=resident_id, actor=actor, now=now
    ).id
