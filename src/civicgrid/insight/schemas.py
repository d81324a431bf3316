"""Pydantic schemas of the proactive-governance API (/api/v1/insight)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from civicgrid.insight import hotspots, topics
from civicgrid.insight.analysis import ForecastReport, HotspotReport, TrendReport
from civicgrid.insight.governance import TaskStatus, VolumeComparison
from civicgrid.insight.models import GovernanceTask, TaskMilestone
from civicgrid.insight.service import TaskDetail


class SampleRead(BaseModel):
    key: str
    title: str
    at: datetime


class HotspotRead(BaseModel):
    """One hot problem: score, the signals behind it and its explanation."""

    rank: int
    label: str
    heat: float
    heat_parts: dict[str, float]
    size: int
    callers: int
    support: int
    oppose: int
    growth: float
    severity: float
    first_at: datetime
    last_at: datetime
    terms: list[str]
    areas: list[str]
    places: list[str]
    samples: list[SampleRead]
    members: list[str]
    topic: str = Field(
        "",
        description=(
            "专题问题的主题短语：许多市民用不同说法询问同一政策、且不指向某一地点的问题"
            "（如“购房补贴”），由专题聚类找出，标题形如“全市 · 购房补贴：…”；"
            "指向具体地点的普通热点问题为空字符串"
        ),
    )

    @classmethod
    def of(cls, h: hotspots.Hotspot) -> HotspotRead:
        return cls(
            rank=h.rank,
            label=h.label,
            heat=h.heat,
            heat_parts=h.heat_parts,
            size=h.size,
            callers=h.callers,
            support=h.support,
            oppose=h.oppose,
            growth=h.growth,
            severity=h.severity,
            first_at=h.first_at,
            last_at=h.last_at,
            terms=list(h.terms),
            areas=list(h.areas),
            places=list(h.places),
            samples=[SampleRead(key=s.key, title=s.title, at=s.at) for s in h.samples],
            members=list(h.members),
            topic=h.topic,
        )


class HotspotReportRead(BaseModel):
    period: str
    period_label: str
    region: str
    appeals: int
    hotspots: list[HotspotRead]
    computed_at: datetime | None = Field(None, description="缓存结果的计算时间；当场计算时为空")

    @classmethod
    def of(cls, report: HotspotReport) -> HotspotReportRead:
        return cls(
            period=report.period.key,
            period_label=report.period.label,
            region=report.region_name,
            appeals=report.appeals,
            hotspots=[HotspotRead.of(h) for h in report.hotspots],
            computed_at=report.computed_at,
        )


class WeekRead(BaseModel):
    week: date
    count: int
    baseline: float | None
    z: float | None
    spike: bool


class TrendSeriesRead(BaseModel):
    key: str
    total: int
    spikes: list[date]
    weeks: list[WeekRead]


class TrendReportRead(BaseModel):
    by: str
    first_week: date
    last_week: date
    series: list[TrendSeriesRead]

    @classmethod
    def of(cls, report: TrendReport) -> TrendReportRead:
        return cls(
            by=report.by,
            first_week=report.first_week,
            last_week=report.last_week,
            series=[
                TrendSeriesRead(
                    key=s.key,
                    total=s.total,
                    spikes=[d for d, _ in s.spikes],
                    weeks=[
                        WeekRead(
                            week=s.weeks[p.index],
                            count=p.count,
                            baseline=p.baseline,
                            z=p.z,
                            spike=p.spike,
                        )
                        for p in s.points
                    ],
                )
                for s in report.series
            ],
        )


class BacktestPointRead(BaseModel):
    month: str
    actual: float
    forecast: float
    naive: float


class ForecastSeriesRead(BaseModel):
    key: str
    method: str
    forecast: float
    history: dict[str, int]
    backtest: list[BacktestPointRead]
    mape: float | None
    naive_mape: float | None


class ForecastReportRead(BaseModel):
    month: str
    by: str
    mape: float | None = Field(description="回测平均绝对百分比误差（%），各序列合并")
    naive_mape: float | None = Field(description="朴素预测（下月=本月）的回测误差（%）")
    series: list[ForecastSeriesRead]

    @classmethod
    def of(cls, report: ForecastReport) -> ForecastReportRead:
        def label(key: tuple[int, int]) -> str:
            return f"{key[0]:04d}-{key[1]:02d}"

        return cls(
            month=label(report.target),
            by=report.by,
            mape=report.mape,
            naive_mape=report.naive_mape,
            series=[
                ForecastSeriesRead(
                    key=s.key,
                    method=s.method,
                    forecast=s.forecast,
                    history={label(m): v for m, v in zip(s.months, s.history, strict=True)},
                    backtest=[
                        BacktestPointRead(month=label(s.months[t]), actual=a, forecast=f, naive=nv)
                        for t, a, f, nv in s.backtest.points
                    ],
                    mape=s.backtest.mape,
                    naive_mape=s.backtest.naive_mape,
                )
                for s in report.series
            ],
        )


class TopicCandidateRead(BaseModel):
    rank: int
    problem: str
    label: str
    count: int
    previous_count: int
    growth: float
    units: list[str]
    regions: list[str]
    dissatisfied_share: float
    reopened_share: float
    score: float
    reasons: list[str]
    samples: list[str]

    @classmethod
    def of(cls, c: topics.TopicCandidate) -> TopicCandidateRead:
        return cls(
            rank=c.rank,
            problem=c.problem,
            label=c.label,
            count=c.count,
            previous_count=c.previous_count,
            growth=c.growth,
            units=list(c.units),
            regions=list(c.regions),
            dissatisfied_share=c.dissatisfied_share,
            reopened_share=c.reopened_share,
            score=c.score,
            reasons=list(c.reasons),
            samples=list(c.samples),
        )


# --- governance tasks ----------------------------------------------------------------------


class MilestoneCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    due_on: date
    done_on: date | None = None
    note: str = Field(default="", max_length=2000)


class TaskCreate(BaseModel):
    """Adopt a problem (usually a candidate) as a governance task of a month."""

    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    theme: str = Field(default="", max_length=200, description="本月主题（当月首次立项时必填）")
    title: str = Field(min_length=1, max_length=200, description="问题名称")
    lead_department_code: str = Field(min_length=1, max_length=50)
    co_department_codes: list[str] = Field(default_factory=list, max_length=20)
    measures: str = Field(default="", max_length=10_000)
    problem_key: str = Field(default="", max_length=200)
    category: str = Field(default="", max_length=100)
    region_code: str | None = Field(default=None, max_length=15)
    district_topic: bool = Field(
        default=False,
        description=(
            "为真时立项到 region_code 所在区的本月一题（各区互不冲突），否则立项到全市的本月一题"
        ),
    )
    source_stats: dict[str, Any] = Field(default_factory=dict)
    milestones: list[MilestoneCreate] = Field(default_factory=list, max_length=50)


class StatusRequest(BaseModel):
    status: TaskStatus
    note: str = Field(default="", max_length=500)


class LinkAppealsRequest(BaseModel):
    appeal_ids: list[int] = Field(min_length=1, max_length=1000)


class LinkAppealsRead(BaseModel):
    task_id: int
    linked: int


class MilestoneRead(BaseModel):
    id: int
    title: str
    due_on: date
    done_on: date | None
    note: str

    @classmethod
    def of(cls, m: TaskMilestone) -> MilestoneRead:
        return cls(id=m.id, title=m.title, due_on=m.due_on, done_on=m.done_on, note=m.note)


class TaskRead(BaseModel):
    id: int
    year: int
    month: int
    theme: str
    title: str
    problem_key: str
    category: str
    region_path: str
    lead_department_id: int
    co_department_ids: list[int]
    measures: str
    status: str
    status_label: str
    source_stats: dict[str, Any]
    adopted_at: datetime
    updated_at: datetime
    milestones: list[MilestoneRead]

    @classmethod
    def of(cls, t: GovernanceTask) -> TaskRead:
        return cls(
            id=t.id,
            year=t.topic.year,
            month=t.topic.month,
            theme=t.topic.theme,
            title=t.title,
            problem_key=t.problem_key,
            category=t.category,
            region_path=t.region_path,
            lead_department_id=t.lead_department_id,
            co_department_ids=list(t.co_department_ids),
            measures=t.measures,
            status=t.status,
            status_label=TaskStatus(t.status).label,
            source_stats=dict(t.source_stats),
            adopted_at=t.adopted_at,
            updated_at=t.updated_at,
            milestones=[MilestoneRead.of(m) for m in t.milestones],
        )


class TaskListItem(BaseModel):
    id: int
    year: int
    month: int
    theme: str
    title: str
    status: str
    status_label: str
    lead_department_id: int
    linked_appeals: int
    adopted_at: datetime


class MonthVolumeRead(BaseModel):
    month: str
    category_count: int | None
    linked_count: int


class ComparisonRead(BaseModel):
    before_months: int
    after_months: int
    before_mean: float | None
    after_mean: float | None
    change_pct: float | None

    @classmethod
    def of(cls, c: VolumeComparison) -> ComparisonRead:
        return cls(
            before_months=c.before_months,
            after_months=c.after_months,
            before_mean=c.before_mean,
            after_mean=c.after_mean,
            change_pct=c.change_pct,
        )


class TaskDetailRead(TaskRead):
    lead_department: str
    co_departments: list[str]
    linked_appeal_ids: list[int]
    volumes: list[MonthVolumeRead]
    category_comparison: ComparisonRead | None
    linked_comparison: ComparisonRead

    @classmethod
    def of_detail(cls, d: TaskDetail) -> TaskDetailRead:
        base = TaskRead.of(d.task).model_dump()
        return cls(
            **base,
            lead_department=d.lead_department,
            co_departments=d.co_departments,
            linked_appeal_ids=d.linked_appeal_ids,
            volumes=[
                MonthVolumeRead(
                    month=f"{v.month[0]:04d}-{v.month[1]:02d}",
                    category_count=v.category_count,
                    linked_count=v.linked_count,
                )
                for v in d.volumes
            ],
            category_comparison=(
                None if d.category_comparison is None else ComparisonRead.of(d.category_comparison)
            ),
            linked_comparison=ComparisonRead.of(d.linked_comparison),
        )
