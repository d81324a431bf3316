"""JSON API of the assessment (/api/v1/assessment): rankings per unit type and period, one
unit's detail, the appeals behind any number, and the monthly report as a file."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from civicgrid.assessment import export, service
from civicgrid.assessment.periods import parse_period
from civicgrid.assessment.ranking import parse_unit_type
from civicgrid.assessment.rates import AssessmentConfig, Metric
from civicgrid.assessment.schemas import (
    CountsRead,
    DayRead,
    DrillItemRead,
    DrillRead,
    PeriodRead,
    RankedUnitRead,
    RankingRead,
    RatesRead,
    UnitDetailRead,
)
from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import AppSettings, ReadSession
from civicgrid.errors import Invalid

router = APIRouter(prefix="/api/v1/assessment", tags=["assessment"])

PeriodParam = Annotated[
    str,
    Query(
        description="考核周期：YYYY-MM（月）、YYYY-Www（ISO 周）或 YYYY-MM-DD..YYYY-MM-DD",
        examples=["2026-11"],
    ),
]
UnitTypeParam = Annotated[
    str, Query(description="单位类型：district / street / department / utility")
]


def get_config(settings: AppSettings) -> AssessmentConfig:
    return service.load_config(settings.var_dir)


Config = Annotated[AssessmentConfig, Depends(get_config)]


@router.get("/rankings", response_model=RankingRead, summary="三率排名（按单位类型与周期）")
def rankings(
    actor: CurrentActor,
    session: ReadSession,
    config: Config,
    period: PeriodParam,
    unit_type: UnitTypeParam,
) -> RankingRead:
    """Every unit of the type ranked by composite score, with the three rates, counts, class
    (四类) and warning colour. Unknown period or unit type → 422; an empty period gives zeros
    with n = 0."""
    p, kind = parse_period(period), parse_unit_type(unit_type)
    table = service.ranking(session, actor=actor, period=p, unit_type=kind, config=config)
    return RankingRead(
        period=PeriodRead.of(table.period),
        previous_period=PeriodRead.of(table.previous),
        unit_type=kind.value,
        unit_type_label=kind.label,
        config=config.as_dict(),
        totals=CountsRead.of(table.totals),
        total_rates=RatesRead.of(table.total_rates),
        items=[RankedUnitRead.of(u) for u in table.units],
    )


@router.get("/units/{unit_type}/{unit_id}", response_model=UnitDetailRead, summary="单位考核详情")
def unit_detail(
    actor: CurrentActor,
    session: ReadSession,
    config: Config,
    unit_type: str,
    unit_id: int,
    period: PeriodParam,
) -> UnitDetailRead:
    """One unit's rates, counts, rank and class, its daily counters, and the drill-down link of
    every number (when the caller may see the appeals)."""
    p, kind = parse_period(period), parse_unit_type(unit_type)
    detail = service.unit_detail(
        session, actor=actor, period=p, unit_type=kind, unit_id=unit_id, config=config
    )
    base = f"{router.prefix}/units/{kind.value}/{unit_id}/appeals?period={quote(p.key)}"
    links = {m.value: f"{base}&metric={m.value}" for m in Metric} if detail.can_drill else {}
    return UnitDetailRead(
        period=PeriodRead.of(p),
        unit_type=kind.value,
        unit_type_label=kind.label,
        unit=RankedUnitRead.of(detail.ranked),
        ranked_units=detail.of,
        days=[DayRead(day=d, counts=CountsRead.of(c)) for d, c in detail.days],
        drill_down=links,
    )


@router.get(
    "/units/{unit_type}/{unit_id}/appeals",
    response_model=DrillRead,
    summary="数字下钻：计入该数字的工单",
)
def drill_down(
    actor: CurrentActor,
    session: ReadSession,
    unit_type: str,
    unit_id: int,
    period: PeriodParam,
    metric: Annotated[Metric, Query(description="下钻的数字")],
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> DrillRead:
    """The appeals counted in one number of one unit; ``total`` equals that number."""
    p, kind = parse_period(period), parse_unit_type(unit_type)
    page = service.drill(
        session, actor=actor, period=p, unit_type=kind, unit_id=unit_id, metric=metric,
        offset=offset, limit=limit,
    )  # fmt: skip
    return DrillRead(
        period=PeriodRead.of(p),
        unit_type=kind.value,
        unit_id=unit_id,
        unit_name=page.unit.name,
        metric=metric,
        metric_label=metric.label,
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        items=[DrillItemRead.of(r) for r in page.rows],
    )


_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@router.get("/report", summary="月度考核报表（Excel 或 CSV）")
def report(
    actor: CurrentActor,
    session: ReadSession,
    config: Config,
    period: PeriodParam,
    fmt: Annotated[str, Query(alias="format", description="xlsx 或 csv")] = "xlsx",
) -> Response:
    """The report of every unit type for the period: one sheet per type plus a summary."""
    if fmt not in _MEDIA:
        raise Invalid(f"报表格式“{fmt}”无效：应为 xlsx 或 csv")
    p = parse_period(period)
    tables = export.report_tables(session, actor=actor, period=p, config=config)
    body = export.to_xlsx(tables) if fmt == "xlsx" else export.to_csv(tables)
    filename = f"assessment-{p.key}.{fmt}"
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
