"""每月一题 proposals for leaders and supervisors (/dashboard/monthly-topic): for a month and a
district (or, for a street leader, a street) of the reader's scope, the top candidate problems
with their evidence (appeals, places, trend over the three previous months, repeat callers,
units involved); the same brief as a one-page Excel file and a one-page PDF for the leaders'
meeting (/dashboard/monthly-topic.xlsx, .pdf); and 设为本月一题, which adopts a candidate as a
problem of the month's topic (leaders and admins, POST /dashboard/monthly-topic/adopt).

The rules and the mining are in :mod:`civicgrid.insight.monthly_brief_service`; this module
parses the query, checks the role and renders; refusals are domain errors that the app
shows as error pages (the adoption form's Invalid and Conflict re-render the page).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now, ReadSession
from civicgrid.errors import Invalid, NotFound
from civicgrid.insight import monthly_brief_pdf, service
from civicgrid.insight import monthly_brief_service as briefs
from civicgrid.kit.periods import Period, PeriodKind, local_date, month_period, parse_period
from civicgrid.territory import queries as territory_queries
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, perform
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

PAGE = "/dashboard/monthly-topic"
BRIEF_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.ADMIN})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DONE = {"adopt": "已设为本月一题，候选问题的诉求已关联到治理任务。"}


def _month(text: str, now_month: Period) -> Period:
    if not text:
        return now_month
    chosen = parse_period(text, label="月份", weeks=False, max_days=31)
    if chosen.kind is not PeriodKind.MONTH:
        raise Invalid(f"月份“{text}”无效：请使用 YYYY-MM 格式，例如 2026-11")
    return chosen


def _brief_for(
    session: Session,
    actor: Actor,
    now: datetime,
    month: str,
    district: str,
    write: Session | None = None,
) -> briefs.MonthlyBrief:
    require(actor, BRIEF_ROLES)
    today = local_date(now)
    period = _month(month, month_period(today.year, today.month))
    choices = briefs.areas_for(session, actor)
    code = district or (choices[0].code if choices else "")
    if not code:
        raise NotFound("您的数据范围内没有可选择的区或街道")
    return briefs.monthly_brief_for(
        session, actor=actor, period=period, area_code=code, now=now, write=write
    )


def _brief(
    actor: PageActor,
    session: ReadSession,
    write: DbSession,
    now: Now,
    month: Annotated[str, Query(max_length=30)] = "",
    district: Annotated[str, Query(max_length=30)] = "",
) -> briefs.MonthlyBrief:
    """The brief asked for: the month (default: this month) and the area (default: the first
    of the reader's scope; ``district`` names a district or a street). Read from the
    district-month's hot-problem snapshot; one that has none yet is mined once and stored
    through the primary session ``write``. Refusals are domain errors, shown as error pages
    (403 for other roles, 422 for a bad month, 404 for an area outside the scope)."""
    return _brief_for(session, actor, now, month, district, write)


Brief = Annotated[briefs.MonthlyBrief, Depends(_brief)]


def _query(brief: briefs.MonthlyBrief) -> str:
    return urlencode({"month": brief.period.key, "district": brief.area.code})


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    brief: briefs.MonthlyBrief,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    topic = briefs.month_topic_for(session, brief)
    can_adopt = bool(actor.roles & service.ADOPTING_ROLES)
    departments = (
        [(d.code, d.name) for d in territory_queries.list_departments(session)] if can_adopt else []
    )
    by_name = {name: code for code, name in departments}
    return render(
        request,
        "dashboard/monthly_topic.html",
        {
            "brief": brief,
            "area_label": briefs.LEVEL_LABELS[brief.area.level],
            "source": briefs.source_text(brief),
            "areas": [(a.code, a.name) for a in briefs.areas_for(session, actor)],
            "query": _query(brief),
            "headers": briefs.HEADERS,
            "rows": [briefs.brief_row(brief, c) for c in brief.candidates],
            "topic": topic,
            "can_adopt": can_adopt,
            "departments": departments,
            # the lead department offered first: the candidate's first unit that is a department
            "lead_default": [
                next((by_name[name] for name, _ in c.units if name in by_name), "")
                for c in brief.candidates
            ],
            "errors": errors or [],
            "form": form or {},
            "flash": DONE.get(request.query_params.get("done", ""), ""),
        },
        status_code=status_code,
    )


@router.get(PAGE, include_in_schema=False)
def monthly_topic(
    request: Request, actor: PageActor, session: ReadSession, brief: Brief
) -> Response:
    """The top candidate problems of an area-month with their evidence."""
    return _page(request, session, actor, brief)


def _download_name(brief: briefs.MonthlyBrief, suffix: str) -> str:
    name = f"每月一题-{brief.area.name}-{brief.period.key}.{suffix}"
    return f"attachment; filename*=UTF-8''{quote(name)}"


@router.get(f"{PAGE}.xlsx", include_in_schema=False)
def monthly_topic_xlsx(brief: Brief, now: Now) -> Response:
    """The brief as a one-page Excel file."""
    return Response(
        briefs.to_xlsx(brief, now),
        media_type=XLSX,
        headers={"Content-Disposition": _download_name(brief, "xlsx")},
    )


@router.get(f"{PAGE}.pdf", include_in_schema=False)
def monthly_topic_pdf(brief: Brief, session: ReadSession, now: Now) -> Response:
    """The brief as one A4 page of PDF, marking the candidates already adopted."""
    topic = briefs.month_topic_for(session, brief)
    return Response(
        monthly_brief_pdf.to_pdf(brief, now, topic.adopted, topic.theme),
        media_type="application/pdf",
        headers={"Content-Disposition": _download_name(brief, "pdf")},
    )


@router.post(f"{PAGE}/adopt", include_in_schema=False)
def adopt(request: Request, form: Form, actor: PageActor, session: DbSession, now: Now) -> Response:
    """设为本月一题: the brief is computed again for the posted month and area (the form names
    the candidate by its label), then the candidate is adopted in one transaction."""
    require(actor, service.ADOPTING_ROLES)
    brief = _brief_for(session, actor, now, form.get("month", ""), form.get("district", ""))
    session.rollback()  # end the read before the use case's transaction (nothing was written)
    return perform(
        lambda: briefs.adopt_candidate(
            session,
            brief=brief,
            label=form.get("label", ""),
            theme=form.get("theme", ""),
            lead_department_code=form.get("lead_department", ""),
            actor=actor,
            now=now,
        ),
        redirect=f"{PAGE}?{_query(brief)}&done=adopt",
        refused=lambda msgs, status: _page(
            request, session, actor, brief, errors=msgs, form=form, status_code=status
        ),
    )
