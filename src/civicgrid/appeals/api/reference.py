"""Reference data of appeal handling: the knowledge base (知识库) and the working-day overrides
of the SLA calendar."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from civicgrid.appeals import knowledge, queries, service
from civicgrid.appeals.schemas import KnowledgeIn, KnowledgeOut, WorkingDayIn, WorkingDayOut
from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import DbSession, Now
from civicgrid.kit.strict import IsoDay

router = APIRouter()


@router.get("/knowledge", response_model=list[KnowledgeOut], summary="搜索知识库")
def search_knowledge(
    session: DbSession,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[KnowledgeOut]:
    """Articles whose title, keywords or text contain every word of ``q``."""
    return [
        KnowledgeOut.model_validate(a) for a in queries.search_knowledge(session, q, limit=limit)
    ]


@router.post(
    "/knowledge",
    response_model=KnowledgeOut,
    status_code=status.HTTP_201_CREATED,
    summary="新增知识库条目",
)
def create_knowledge(
    body: KnowledgeIn, session: DbSession, actor: CurrentActor, now: Now
) -> KnowledgeOut:
    article = knowledge.create_article(
        session,
        title=body.title,
        body=body.body,
        keywords=body.keywords,
        category=body.category,
        actor=actor,
        now=now,
    )
    return KnowledgeOut.model_validate(article)


@router.put("/knowledge/{article_id}", response_model=KnowledgeOut, summary="修改知识库条目")
def update_knowledge(
    article_id: int, body: KnowledgeIn, session: DbSession, actor: CurrentActor, now: Now
) -> KnowledgeOut:
    article = knowledge.update_article(
        session,
        article_id=article_id,
        title=body.title,
        body=body.body,
        keywords=body.keywords,
        category=body.category,
        is_active=body.is_active,
        actor=actor,
        now=now,
    )
    return KnowledgeOut.model_validate(article)


@router.get("/calendar/overrides", response_model=list[WorkingDayOut], summary="工作日调整表")
def list_working_days(
    session: DbSession,
    actor: CurrentActor,
    start: date | None = None,
    end: date | None = None,
) -> list[WorkingDayOut]:
    rows = queries.working_day_overrides(session, start=start, end=end)
    return [WorkingDayOut.model_validate(r) for r in rows]


@router.put("/calendar/overrides/{day}", response_model=WorkingDayOut, summary="设置工作日调整")
def set_working_day(
    day: IsoDay, body: WorkingDayIn, session: DbSession, actor: CurrentActor, now: Now
) -> WorkingDayOut:
    row = service.set_working_day(
        session, day=day, is_working=body.is_working, note=body.note, actor=actor, now=now
    )
    return WorkingDayOut.model_validate(row)


@router.delete(
    "/calendar/overrides/{day}", status_code=status.HTTP_204_NO_CONTENT, summary="删除工作日调整"
)
def delete_working_day(day: IsoDay, session: DbSession, actor: CurrentActor, now: Now) -> Response:
    service.delete_working_day(session, day=day, actor=actor, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
