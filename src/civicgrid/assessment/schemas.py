"""Pydantic shapes of the assessment API (rankings, unit detail, drill-down)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from civicgrid.assessment.periods import Period
from civicgrid.assessment.queries import DrillRow
from civicgrid.assessment.ranking import RankedUnit
from civicgrid.assessment.rates import Counts, Exclusion, Metric, Rates


class CountsRead(BaseModel):
    """The counted appeals behind the rates; every field can be drilled down by its name."""

    n: int = Field(description="应响应 + 有效回访 + 剔除 的合计；0 表示本期无数据")
    response_due: int
    response_on_time: int
    response_late: int
    valid_callbacks: int
    resolved: int
    unresolved: int
    satisfied: int
    fairly_satisfied: int
    dissatisfied: int
    excluded: int

    @classmethod
    def of(cls, c: Counts) -> CountsRead:
        return cls(n=c.n, **c.as_dict())


class RatesRead(BaseModel):
    response_rate: float = Field(description="响应率")
    resolution_rate: float = Field(description="解决率")
    satisfaction_rate: float = Field(description="满意率")
    score: float = Field(description="综合分 (0–1)")

    @classmethod
    def of(cls, r: Rates) -> RatesRead:
        return cls(
            response_rate=round(r.response, 6),
            resolution_rate=round(r.resolution, 6),
            satisfaction_rate=round(r.satisfaction, 6),
            score=round(r.score, 6),
        )


class RankedUnitRead(BaseModel):
    unit_id: int
    name: str
    rank: int | None = Field(description="名次；本期无数据的单位为空")
    rank_class: str | None
    rank_class_label: str | None
    warning: str | None
    warning_label: str | None
    previous_score: float | None
    rates: RatesRead
    counts: CountsRead

    @classmethod
    def of(cls, u: RankedUnit) -> RankedUnitRead:
        return cls(
            unit_id=u.unit_id,
            name=u.name,
            rank=u.rank,
            rank_class=u.rank_class.value if u.rank_class else None,
            rank_class_label=u.rank_class.label if u.rank_class else None,
            warning=u.warning.value if u.warning else None,
            warning_label=u.warning.label if u.warning else None,
            previous_score=None if u.previous_score is None else round(u.previous_score, 6),
            rates=RatesRead.of(u.rates),
            counts=CountsRead.of(u.counts),
        )


class PeriodRead(BaseModel):
    key: str
    kind: str
    label: str
    first_day: date
    last_day: date

    @classmethod
    def of(cls, p: Period) -> PeriodRead:
        return cls(key=p.key, kind=p.kind.value, label=p.label, first_day=p.first, last_day=p.last)


class RankingRead(BaseModel):
    period: PeriodRead
    previous_period: PeriodRead
    unit_type: str
    unit_type_label: str
    config: dict[str, float]
    totals: CountsRead
    total_rates: RatesRead
    items: list[RankedUnitRead]


class DayRead(BaseModel):
    day: date
    counts: CountsRead


class UnitDetailRead(BaseModel):
    period: PeriodRead
    unit_type: str
    unit_type_label: str
    unit: RankedUnitRead
    ranked_units: int = Field(description="本期参与排名的同类单位数")
    days: list[DayRead]
    drill_down: dict[str, str] = Field(description="每个数字对应的工单明细地址；无权查看时为空")


class DrillItemRead(BaseModel):
    appeal_id: int
    number: str
    title: str
    status: str
    received_at: datetime
    response_state: str
    response_day: date | None
    eval_state: str
    eval_day: date | None
    exclusion: str
    exclusion_label: str
    resolved: bool
    satisfaction: str

    @classmethod
    def of(cls, r: DrillRow) -> DrillItemRead:
        return cls(
            appeal_id=r.appeal_id,
            number=r.number,
            title=r.title,
            status=r.status,
            received_at=r.received_at,
            response_state=r.response_state,
            response_day=r.response_day,
            eval_state=r.eval_state,
            eval_day=r.eval_day,
            exclusion=r.exclusion,
            exclusion_label=Exclusion(r.exclusion).label,
            resolved=r.resolved,
            satisfaction=r.satisfaction,
        )


class DrillRead(BaseModel):
    period: PeriodRead
    unit_type: str
    unit_id: int
    unit_name: str
    metric: Metric
    metric_label: str
    total: int
    offset: int
    limit: int
    items: list[DrillItemRead]
