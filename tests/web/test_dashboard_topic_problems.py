"""A topic problem on the leader's dashboard: one question asked by residents of different
communities, naming no place, is listed as one hot problem labelled with its district and its
phrase (the mining rule is tested in tests/unit/insight/test_insight_policy_topics.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.web.conftest import LoginAs

from civicgrid.insight import service as insight_service

QUESTIONS = [
    ("咨询人才购房补贴的申请条件", "我符合人才新政条件，想了解购房补贴需要哪些材料。"),
    ("人才购房补贴申请为何不通过", "提交了购房补贴申请，审核一直显示不通过，原因不明。"),
    ("关于人才购房补贴发放时间的疑问", "补贴说好三个月内发放，至今没有到账。"),
    ("二手房能否享受人才购房补贴", "在本市买的二手房，不知道能不能申请补贴。"),
    ("人才购房补贴什么时候发放", "申请通过后迟迟没有收到补贴款。"),
]
REGIONS = [
    MiniTerritory.COMMUNITY_A1,
    MiniTerritory.COMMUNITY_A2,
    MiniTerritory.GRID_A1,
    MiniTerritory.GRID_A2,
    MiniTerritory.STREET_A,
]


def test_a_question_asked_across_communities_is_one_topic_problem_on_the_dashboard(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    ids = [
        make_appeal(
            session,
            world=world,
            now=now - timedelta(days=5 - i),
            title=title,
            content=content,
            region_code=region,
            caller_phone=f"1390000001{i}",
        ).id
        for i, ((title, content), region) in enumerate(zip(QUESTIONS, REGIONS, strict=True))
    ]
    insight_service.refresh_hotspot_snapshots(session, now=now)
    login("leader")

    section = client.get("/dashboard").text
    section = section[section.index('id="hot-problems"') :]
    section = section[: section.index("</section>")]
    assert "朝阳区 · 人才购房" in section  # every member lies in 朝阳区: its name, no place
    assert "<td>5</td>" in section

    page = client.get("/dashboard/hot-problems/1?period=2026-11")
    assert page.status_code == 200
    assert "热点问题第 1 名：朝阳区 · 人才购房" in page.text
    listing = page.text[page.text.index('id="hot-problem-appeals"') :]
    assert "本问题的诉求（5 件）" in listing
    for appeal_id in ids:
        assert f'href="/appeals/{appeal_id}"' in listing
