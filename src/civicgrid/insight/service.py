"""Use cases of proactive governance: a leader adopts a problem as a governance task under the
month's topic (每月一题), the task gets milestones, changes status and has appeals linked to it;
and the task's detail with appeal volumes before and after adoption.

Each use case is one transaction (``@use_case``) and writes an audit row. Reports (hot
problems, trends, forecast, candidates) are read-only and live in :mod:`.analysis`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import scoped_facts
from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.insight import analysis, governance, hotspots, queries, snapshots, trends
from civicgrid.insight.governance import MAX_TASKS_PER_TOPIC, TaskStatus
from civicgrid.insight.models import (
    GovernanceTask,
    HotspotSnapshot,
    MonthlyTopic,
    TaskAppealLink,
    TaskMilestone,
)
from civicgrid.insight.periods import parse_period
from civicgrid.kit.periods import Period, local_date, local_day_start
from civicgrid.territory import queries as territory_queries

ADOPTING_ROLES = frozenset({Role.LEADER, Role.ADMIN})
"""Who may adopt a monthly topic problem and steer its task."""
TRACKING_ROLES = frozenset({Role.LEADER, Role.ADMIN, Role.SUPERVISOR})
"""Who may add milestones, change the status and link appeals (督办 follows the tasks)."""
MAX_LINKS_PER_CALL = 1000


def _require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if not actor.has_role(*roles):
        labels = "、".join(r.label for r in sorted(roles))
        raise Forbidden(f"没有权限{what}：需要以下角色之一：{labels}")


def _text(value: str, name: str, *, max_len: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"{name}不能为空")
    if len(value) > max_len:
        raise Invalid(f"{name}过长（最多 {max_len} 字）")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class NewTask:
    """What a leader fills in when adopting a problem."""

    year: int
    month: int
    theme: str
    title: str
    lead_department_code: str
    co_department_codes: Sequence[str] = ()
    measures: str = ""
    problem_key: str = ""
    category: str = ""
    region_code: str | None = None
    district_topic: bool = False
    """Adopt under the topic of the district of ``region_code`` (required then) instead of the
    city-wide topic."""
    source_stats: dict[str, Any] = field(default_factory=dict)
    milestones: Sequence[tuple[str, date]] = ()


def _department_ids(session: Session, codes: Sequence[str]) -> list[int]:
    ids: list[int] = []
    for code in codes:
        dept = territory_queries.find_department_by_code(session, code.strip())
        if dept is None:
            raise Invalid(f"部门编码“{code}”不存在")
        if dept.id not in ids:
            ids.append(dept.id)
    return ids


@use_case
def adopt_task(session: Session, *, data: NewTask, actor: Actor, now: datetime) -> GovernanceTask:
    """Adopt a problem as a governance task of month ``data.year``-``data.month`` (see
    :func:`add_task`)."""
    return add_task(session, data=data, actor=actor, now=now)


def add_task(session: Session, *, data: NewTask, actor: Actor, now: datetime) -> GovernanceTask:
    """Adopt a problem as a governance task of month ``data.year``-``data.month``: the joiner
    behind :func:`adopt_task` and the 每月一题 brief's adoption
    (:func:`civicgrid.insight.monthly_brief_service.adopt_candidate`); the caller commits.

    Creates the month's topic with ``data.theme`` on first adoption; a later adoption must
    name the same theme (or none). At most three tasks per month (DOMAIN §1.7). Raises
    Forbidden (not a leader/admin), Invalid (bad month, empty title, unknown department),
    Conflict (a different theme, or the month is full), NotFound (region outside scope).
    """
    _require(actor, ADOPTING_ROLES, "立项治理任务")
    if not 1 <= data.month <= 12 or not 2000 <= data.year <= 2100:
        raise Invalid(f"月份无效：{data.year}-{data.month}")
    title = _text(data.title, "问题名称", max_len=200)
    theme = _text(data.theme, "本月主题", max_len=200, required=False)
    measures = _text(data.measures, "治理措施", max_len=10_000, required=False)
    lead = territory_queries.find_department_by_code(session, data.lead_department_code.strip())
    if lead is None:
        raise Invalid(f"牵头部门编码“{data.lead_department_code}”不存在")
    co_ids = [i for i in _department_ids(session, data.co_department_codes) if i != lead.id]
    region_path = ""
    if data.region_code:
        region_path = territory_queries.get_region_for(session, actor, data.region_code).path
    elif data.district_topic:
        raise Invalid("区级每月一题需要指定区域")
    topic_path = analysis.district_path(region_path) if data.district_topic else ""
    if data.district_topic and not topic_path:
        raise Invalid("区级每月一题的区域须在某个区内")
    scope = "本区" if topic_path else "全市"
    topic = queries.find_topic(session, data.year, data.month, topic_path)
    if topic is None:
        if not theme:
            raise Invalid("本月尚未确定主题：请填写本月主题")
        topic = MonthlyTopic(
            year=data.year,
            month=data.month,
            region_path=topic_path,
            theme=theme,
            created_at=now,
            created_by_user_id=actor.user_id,
        )
        session.add(topic)
        session.flush()
    elif theme and theme != topic.theme:
        raise Conflict(f"{scope}{data.year}年{data.month}月的主题已定为“{topic.theme}”")
    active = [t for t in topic.tasks if t.status != TaskStatus.CANCELLED.value]
    if len(active) >= MAX_TASKS_PER_TOPIC:
        raise Conflict(
            f"{scope}{data.year}年{data.month}月已有 {len(active)} 个治理问题（每月最多 "
            f"{MAX_TASKS_PER_TOPIC} 个）"
        )
    task = GovernanceTask(
        topic_id=topic.id,
        title=title,
        problem_key=_text(data.problem_key, "问题来源", max_len=200, required=False),
        category=_text(data.category, "诉求分类", max_len=100, required=False),
        region_path=region_path,
        lead_department_id=lead.id,
        co_department_ids=co_ids,
        measures=measures,
        status=TaskStatus.PLANNED.value,
        source_stats=dict(data.source_stats),
        adopted_at=now,
        adopted_by_user_id=actor.user_id,
        updated_at=now,
    )
    session.add(task)
    session.flush()
    for m_title, due_on in data.milestones:
        session.add(
            TaskMilestone(
                task_id=task.id,
                title=_text(m_title, "节点名称", max_len=200),
                due_on=due_on,
                created_at=now,
            )
        )
    session.flush()
    session.refresh(topic)
    session.refresh(task)
    record(
        session,
        actor=actor,
        action="insight.task.adopt",
        subject_type="governance_task",
        subject_id=task.id,
        now=now,
        detail={
            "year": data.year,
            "month": data.month,
            "topic_region_path": topic_path,
            "title": title,
            "lead_department_id": lead.id,
            "co_department_ids": co_ids,
            "milestones": len(data.milestones),
        },
    )
    return task


@use_case
def add_milestone(
    session: Session,
    *,
    task_id: int,
    title: str,
    due_on: date,
    done_on: date | None = None,
    note: str = "",
    actor: Actor,
    now: datetime,
) -> TaskMilestone:
    """Add a dated step to a task's plan (optionally already done). Forbidden for other roles,
    NotFound for an unknown task, Conflict for a cancelled one."""
    _require(actor, TRACKING_ROLES, "维护治理任务")
    task = queries.get_task(session, task_id)
    if task.status == TaskStatus.CANCELLED.value:
        raise Conflict("治理任务已撤销，不能再添加节点")
    milestone = TaskMilestone(
        task_id=task.id,
        title=_text(title, "节点名称", max_len=200),
        due_on=due_on,
        done_on=done_on,
        note=_text(note, "备注", max_len=2000, required=False),
        created_at=now,
    )
    session.add(milestone)
    task.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="insight.task.milestone",
        subject_type="governance_task",
        subject_id=task.id,
        now=now,
        detail={"milestone_id": milestone.id, "title": milestone.title, "due_on": str(due_on)},
    )
    return milestone


@use_case
def change_status(
    session: Session,
    *,
    task_id: int,
    status: TaskStatus,
    note: str = "",
    actor: Actor,
    now: datetime,
) -> GovernanceTask:
    """Move a task to ``status`` (see :func:`governance.next_status`): InvalidTransition (409)
    for a move the rules refuse."""
    _require(actor, TRACKING_ROLES, "维护治理任务")
    task = queries.get_task(session, task_id)
    before = TaskStatus(task.status)
    task.status = governance.next_status(before, status).value
    task.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="insight.task.status",
        subject_type="governance_task",
        subject_id=task.id,
        now=now,
        detail={"from": before.value, "to": status.value, "note": note.strip()[:500]},
    )
    return task


@use_case
def link_appeals(
    session: Session, *, task_id: int, appeal_ids: Sequence[int], actor: Actor, now: datetime
) -> int:
    """Link appeals to a task; returns how many links are new (linking twice is harmless).
    NotFound when an appeal does not exist or lies outside the actor's scope."""
    _require(actor, TRACKING_ROLES, "维护治理任务")
    task = queries.get_task(session, task_id)
    wanted = sorted(set(appeal_ids))
    if not wanted:
        raise Invalid("请至少选择一件工单")
    if len(wanted) > MAX_LINKS_PER_CALL:
        raise Invalid(f"一次最多关联 {MAX_LINKS_PER_CALL} 件工单")
    visible = scoped_facts.visible_ids_for(session, actor, wanted)
    missing = [i for i in wanted if i not in visible]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10])
        raise NotFound(f"工单不存在或无权查看：{shown}")
    return add_links(session, task=task, appeal_ids=wanted, actor=actor, now=now)


def add_links(
    session: Session,
    *,
    task: GovernanceTask,
    appeal_ids: Sequence[int],
    actor: Actor,
    now: datetime,
    source: str = "",
) -> int:
    """Link ``appeal_ids`` (already checked by the caller) to ``task`` and write the audit row
    (``source`` names where they came from, e.g. the 每月一题 brief); returns how many links are
    new. The joiner behind :func:`link_appeals` and the brief's adoption; the caller commits."""
    wanted = sorted(set(appeal_ids))
    existing = set(queries.linked_appeal_ids(session, task.id))
    new = [i for i in wanted if i not in existing]
    for appeal_id in new:
        session.add(
            TaskAppealLink(
                task_id=task.id, appeal_id=appeal_id, linked_at=now, linked_by_user_id=actor.user_id
            )
        )
    task.updated_at = now
    session.flush()
    detail: dict[str, object] = {"appeal_ids": new[:100], "new": len(new), "requested": len(wanted)}
    if source:
        detail["source"] = source
    record(
        session,
        actor=actor,
        action="insight.task.link",
        subject_type="governance_task",
        subject_id=task.id,
        now=now,
        detail=detail,
    )
    return len(new)


# --- reading a task ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthVolume:
    month: tuple[int, int]
    category_count: int | None
    linked_count: int


@dataclass(frozen=True, slots=True)
class TaskDetail:
    """A task with its topic, departments, linked appeals and the monthly volumes around its
    adoption: the appeals of its category (within its region), and the linked appeals."""

    task: GovernanceTask
    topic: MonthlyTopic
    lead_department: str
    co_departments: list[str]
    linked_appeal_ids: list[int]
    volumes: list[MonthVolume]
    category_comparison: governance.VolumeComparison | None
    linked_comparison: governance.VolumeComparison


def _month_before(key: tuple[int, int], n: int) -> tuple[int, int]:
    year, month = key
    for _ in range(n):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return year, month


def department_names(session: Session) -> dict[int, str]:
    return {d.id: d.name for d in territory_queries.list_departments(session)}


def task_detail(
    session: Session, *, task_id: int, actor: Actor, now: datetime, months: int = 6
) -> TaskDetail:
    """The task with volumes for ``months`` months before the adoption month and every month
    from it up to ``now``'s month. Category volumes count only appeals ``actor`` may see."""
    task = queries.get_task(session, task_id)
    names = department_names(session)
    adopted = local_date(task.adopted_at)
    adopted_key = (adopted.year, adopted.month)
    today = local_date(now)
    last_key = max((today.year, today.month), adopted_key)
    first_key = _month_before(adopted_key, months)
    month_keys = trends.month_range(first_key, last_key)
    start = local_day_start(date(first_key[0], first_key[1], 1))
    end_key = trends.next_month(last_key)
    end = local_day_start(date(end_key[0], end_key[1], 1))
    linked_times = queries.linked_received_times(session, task.id)
    linked = trends.monthly_counts(
        ((local_date(at), "x") for at in linked_times), first=first_key, last=last_key
    ).get("x", [0] * len(month_keys))
    category_counts: list[int] | None = None
    if task.category:
        rows = scoped_facts.received_facts_for(
            session,
            actor,
            start=start,
            end=end,
            region_path=task.region_path or None,
            category=task.category,
        )
        category_counts = trends.monthly_counts(
            ((local_date(at), "x") for at, _, _ in rows), first=first_key, last=last_key
        ).get("x", [0] * len(month_keys))
    split = month_keys.index(adopted_key)
    # The current month is incomplete; it is shown but left out of the comparison.
    complete = len(month_keys) - 1 if last_key == (today.year, today.month) else len(month_keys)
    volumes = [
        MonthVolume(k, None if category_counts is None else category_counts[i], linked[i])
        for i, k in enumerate(month_keys)
    ]
    return TaskDetail(
        task=task,
        topic=task.topic,
        lead_department=names.get(task.lead_department_id, str(task.lead_department_id)),
        co_departments=[names.get(i, str(i)) for i in task.co_department_ids],
        linked_appeal_ids=queries.linked_appeal_ids(session, task.id),
        volumes=volumes,
        category_comparison=(
            None
            if category_counts is None
            else governance.compare_volumes(
                category_counts[:split], category_counts[split:complete]
            )
        ),
        linked_comparison=governance.compare_volumes(linked[:split], linked[split:complete]),
    )


# --- hot-problem snapshots -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SnapshotRefresh:
    """What one refresh stored: per period key, the regions mined and the appeals read."""

    periods: dict[str, int]
    snapshots: int
    compute_ms: int


def refresh_hotspot_snapshots(
    session: Session,
    *,
    now: datetime,
    config: hotspots.HotspotConfig | None = None,
    mine: snapshots.Miner | None = None,
) -> SnapshotRefresh:
    """Mine the hot problems of the current and previous month per district and for the city
    and store them (replacing the earlier snapshots of those months, deleting older months').
    Called by the ``insight.hotspots`` job; ``mine`` replaces :func:`snapshots.mine_period`
    (with ``config``) in tests.

    Not one transaction but three steps: a short read (ended before mining), the mining with
    no transaction open (seconds per month), and the use case :func:`store_hotspot_snapshots`.
    On SQLite every transaction takes the write lock (``BEGIN IMMEDIATE``), so mining inside
    one would make every other write wait for it. The result is the same: the store replaces
    by period and district, so a snapshot written between the read and the store (by another
    refresh) is simply replaced. ``session`` must not be inside a transaction with writes of
    its own (they would be rolled back when the read ends)."""
    miner: snapshots.Miner = mine or functools.partial(snapshots.mine_period, config=config)
    facts = [snapshots.read_period(session, p) for p in snapshots.recent_months(now)]
    session.rollback()  # end the read transaction: nothing was written
    mined = {f.period.key: miner(f) for f in facts}
    return store_hotspot_snapshots(session, mined=mined, now=now)


@use_case
def store_hotspot_snapshots(
    session: Session, *, mined: dict[str, list[snapshots.MinedRegion]], now: datetime
) -> SnapshotRefresh:
    """Store the mined hot problems of each period key in ``mined`` (the city's last in each
    list, as :func:`snapshots.mine_period` returns them), replacing the earlier snapshots of
    those periods and deleting the snapshots of every other period. Idempotent. Derived data
    only: no audit row (nothing a person did changes)."""
    existing = queries.snapshots_of(session, list(mined))
    earlier = queries.other_snapshot_times(session, list(mined))
    kept: set[tuple[str, str]] = set()
    summary: dict[str, int] = {}
    total_ms = 0
    for period_key, regions in mined.items():
        for part in snapshots.with_region_names(session, regions):
            key = (period_key, part.region_path)
            kept.add(key)
            _put_snapshot(session, existing.get(key), period_key=period_key, part=part, now=now)
        summary[period_key] = regions[-1].appeals
        total_ms += regions[-1].compute_ms
    for key, row in existing.items():
        if key not in kept:
            session.delete(row)
    queries.delete_snapshots(
        session,
        (i for i, key, at in earlier if not snapshots.settled(at, parse_period(key))),
    )
    session.flush()
    return SnapshotRefresh(periods=summary, snapshots=len(kept), compute_ms=total_ms)


@dataclass(frozen=True, slots=True)
class DistrictGroups:
    """The stored hot problems of one district-month, every group (not yet cut to a reader),
    with the district's appeal count and when they were mined."""

    groups: list[snapshots.StoredHotspot]
    appeals: int
    computed_at: datetime


def district_hotspots(
    session: Session,
    *,
    period: Period,
    district_path: str,
    now: datetime,
    write: Session | None = None,
    config: hotspots.HotspotConfig | None = None,
) -> DistrictGroups:
    """The hot problems of ``period`` in the district ``district_path`` for the 每月一题 brief:
    from its snapshot when that serves (:func:`snapshots.serves_brief`: fresh, or taken after
    the month ended), else mined now and stored (:func:`store_district_snapshot` through
    ``write``, the request's primary session when ``session`` reads a replica), so that a
    district-month is mined once and then read. Like :func:`refresh_hotspot_snapshots`, the
    mining runs with no transaction open: ``session`` must hold no writes of its own."""
    stored = queries.find_snapshot(session, period.key, district_path)
    if stored is not None and snapshots.serves_brief(stored, period, now):
        return DistrictGroups(
            groups=[snapshots.from_json(d) for d in stored.hotspots],
            appeals=stored.appeals,
            computed_at=stored.computed_at,
        )
    rows = snapshots.read_district(session, period, district_path)
    session.rollback()  # end the read transaction: nothing was written
    mined = snapshots.mine_region(district_path, rows, period, config=config)
    named = snapshots.with_region_names(session, [mined])[0]
    session.rollback()
    # IntegrityError: another request stored the same district-month first (the same groups)
    with contextlib.suppress(IntegrityError):
        store_district_snapshot(write or session, period_key=period.key, mined=named, now=now)
    return DistrictGroups(groups=named.groups, appeals=named.appeals, computed_at=now)


@use_case
def store_district_snapshot(
    session: Session, *, period_key: str, mined: snapshots.MinedRegion, now: datetime
) -> None:
    """Store the mined (and named) hot problems of one district-month, replacing its earlier
    snapshot. Derived data only: no audit row."""
    row = queries.find_snapshot(session, period_key, mined.region_path)
    _put_snapshot(session, row, period_key=period_key, part=mined, now=now)
    session.flush()


def _put_snapshot(
    session: Session,
    row: HotspotSnapshot | None,
    *,
    period_key: str,
    part: snapshots.MinedRegion,
    now: datetime,
) -> None:
    """Write ``part`` into its snapshot ``row`` (a new row when None)."""
    if row is None:
        row = HotspotSnapshot(period_key=period_key, region_path=part.region_path)
        session.add(row)
    row.appeals = part.appeals
    row.hotspots = [snapshots.to_json(g) for g in part.groups]
    row.compute_ms = part.compute_ms
    row.computed_at = now
