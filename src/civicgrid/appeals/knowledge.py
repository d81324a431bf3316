"""The hotline knowledge base (知识库, GB/T 44191-2024): articles that operators search at
intake to answer inquiries directly. Writing use cases here; search lives in ``queries``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.models import KnowledgeArticle
from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, Invalid

SUBJECT = "knowledge_article"
EDITORS = (Role.ADMIN, Role.OPERATOR, Role.DISPATCHER)


def _check(actor: Actor, title: str, body: str) -> tuple[str, str]:
    if not actor.has_role(*EDITORS):
        raise Forbidden("没有权限编辑知识库")
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise Invalid("请填写标题和正文", detail={"field": "title"})
    return title, body


def _keywords(keywords: str) -> str:
    words = [w for w in keywords.replace("，", ",").replace(" ", ",").split(",") if w.strip()]
    return ",".join(dict.fromkeys(w.strip() for w in words))[:500]


@use_case
def create_article(
    session: Session,
    *,
    title: str,
    body: str,
    keywords: str = "",
    category: str = "",
    actor: Actor,
    now: datetime,
) -> KnowledgeArticle:
    """Add an article to the knowledge base."""
    title, body = _check(actor, title, body)
    article = KnowledgeArticle(
        title=title[:200],
        body=body,
        keywords=_keywords(keywords),
        category=category.strip(),
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    session.flush()
    record(
        session,
        actor=actor,
        action="knowledge.create",
        subject_type=SUBJECT,
        subject_id=article.id,
        now=now,
        detail={"title": article.title},
    )
    return article


@use_case
def update_article(
    session: Session,
    *,
    article_id: int,
    title: str,
    body: str,
    keywords: str = "",
    category: str = "",
    is_active: bool = True,
    actor: Actor,
    now: datetime,
) -> KnowledgeArticle:
    """Replace an article's text (实时更新) or retire it (``is_active=False``)."""
    title, body = _check(actor, title, body)
    article = queries.knowledge_article(session, article_id)
    article.title = title[:200]
    article.body = body
    article.keywords = _keywords(keywords)
    article.category = category.strip()
    article.is_active = is_active
    article.updated_at = now
    record(
        session,
        actor=actor,
        action="knowledge.update",
        subject_type=SUBJECT,
        subject_id=article.id,
        now=now,
        detail={"title": article.title, "active": is_active},
    )
    return article
