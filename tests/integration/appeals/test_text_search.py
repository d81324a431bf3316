"""The appeal list's text search (``?q=``): on SQLite and PostgreSQL the same fragments find the
same appeals in the same order as a plain reading of the rule (title, content or address
contains the text, case-insensitively, ``%`` and ``_`` literal; or the number is the text), with
the number of all matches, page by page, in one statement; on PostgreSQL the condition is the
one the trigram indexes of migration search_0002 cover."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory

from civicgrid.appeals import service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.queries import access

T = MiniTerritory
# title, content, address, region: some in street A, some in street B.
TEXTS = (
    ("幸福路12号院门口垃圾堆放", "垃圾三天没人清运，苍蝇很多。", "幸福路12号院", T.COMMUNITY_A1),
    ("噪音扰民", "楼上装修噪音很大，晚上十点还在施工。", "和平里5号楼", T.COMMUNITY_A1),
    ("WiFi信号差", "社区图书馆的wifi经常断线。", "", T.COMMUNITY_A1),
    ("物业费上涨", "物业收费上涨50%，不合理。", "阳光花园3期", T.GRID_A1),
    ("路灯不亮", "编号A_1的路灯不亮，幸福路一带很黑。", "幸福路1_2号", T.STREET_B),
    ("垃圾清运不及时", "小区垃圾桶满了没人管。", "阳光花园5期", T.STREET_B),
    ("表扬", "感谢社区工作人员耐心帮助。", "", None),
)
FRAGMENTS = (
    "幸福路",
    "垃圾",
    "噪音扰",
    "wifi",
    "WIFI",
    "50%",
    "%",
    "_",
    "A_1",
    "1_2号",
    "阳光花园",
    "号",
    "路_",
    "wI",
    "5号",
    "3期",
    "  垃圾清运  ",
    "不存在的内容",
)


def _submit(session: Session, world: World, now: datetime) -> list[Appeal]:
    appeals = []
    for i, (title, content, address, region) in enumerate(TEXTS):
        appeals.append(
            service.submit_appeal(
                session,
                data=service.NewAppeal(
                    channel=Channel.HOTLINE,
                    appeal_type=AppealType.COMPLAINT,
                    title=title,
                    content=content,
                    address=address,
                    region_id=world.region_id(region) if region else None,
                    caller_name="张三",
                    caller_phone="13812345678",
                ),
                actor=world.actor("operator"),
                cipher=world.cipher,
                media=world.media,
                now=now + timedelta(minutes=i),
            )
        )
    return appeals


def _expected(session: Session, world: World, who: str, q: str, now: datetime) -> list[int]:
    """The rule read plainly, over every appeal the actor sees, newest first."""
    visible = access.list_for(session, world.actor(who), access.AppealFilters(limit=500), now=now)
    typed = q.strip()
    needle = typed.lower()
    return [
        a.id
        for a in visible.items
        if needle in a.title.lower()
        or needle in a.content.lower()
        or needle in a.address.lower()
        or a.number == typed
    ]


@pytest.mark.parametrize("who", ["operator", "street_a", "street_b"])
def test_fragments_find_what_the_rule_says_on_every_engine(
    session: Session, world: World, now: datetime, who: str
) -> None:
    appeals = _submit(session, world, now)
    fragments = (*FRAGMENTS, appeals[3].number, appeals[3].number[:8])
    for q in fragments:
        page = access.list_for(session, world.actor(who), access.AppealFilters(text=q), now=now)
        expected = _expected(session, world, who, q, now)
        assert [a.id for a in page.items] == expected, q
        assert page.total == len(expected), q
    # The rule is not vacuous: the street handlers see different matches for one fragment.
    found = {
        who: [
            a.id
            for a in access.list_for(
                session, world.actor(who), access.AppealFilters(text="垃圾"), now=now
            ).items
        ]
        for who in ("street_a", "street_b")
    }
    assert found["street_a"] == [appeals[0].id]
    assert found["street_b"] == [appeals[5].id]


def test_case_and_literal_characters(session: Session, world: World, now: datetime) -> None:
    appeals = _submit(session, world, now)
    operator = world.actor("operator")

    def ids(q: str) -> list[int]:
        return [
            a.id
            for a in access.list_for(session, operator, access.AppealFilters(text=q), now=now).items
        ]

    assert ids("WIFI") == ids("wifi") == [appeals[2].id]
    assert ids("50%") == [appeals[3].id]
    assert ids("路_") == []
    assert ids("1_2号") == [appeals[4].id]
    assert ids(appeals[1].number) == [appeals[1].id]
    assert ids(appeals[1].number[:8]) == []  # the number matches whole, not in part


def test_pages_of_a_search_carry_the_count_of_all_matches(
    session: Session, world: World, now: datetime
) -> None:
    _submit(session, world, now)
    operator = world.actor("operator")
    everything = _expected(session, world, "operator", "号", now)
    assert len(everything) >= 4
    seen: list[int] = []
    for offset in range(0, len(everything), 2):
        page = access.list_for(
            session, operator, access.AppealFilters(text="号", offset=offset, limit=2), now=now
        )
        assert page.total == len(everything)
        seen.extend(a.id for a in page.items)
    assert seen == everything
    past = access.list_for(
        session, operator, access.AppealFilters(text="号", offset=len(everything), limit=2), now=now
    )
    assert past.items == []
    assert past.total == len(everything)
    with_status = access.list_for(
        session,
        operator,
        access.AppealFilters(text="号", statuses=["closed"]),
        now=now,
    )
    assert (with_status.items, with_status.total) == ([], 0)


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    conn = session.connection()

    def listener(*args: object) -> None:
        statement = " ".join(str(args[2]).split()).upper()
        # The appeals' units are loaded with them (selectin), and a post at a city reads the
        # cities first (whether it sees everything): not statements of the search.
        skipped = ("SELECT APPEAL_UNIT.", "SELECT REGION.PATH ")
        if statement.startswith("SELECT") and not statement.startswith(skipped):
            seen.append(statement)

    event.listen(conn, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", listener)


def test_a_search_is_a_bounded_count_and_one_page(
    session: Session, world: World, now: datetime
) -> None:
    _submit(session, world, now)
    session.expire_all()
    with _statements(session) as seen:
        page = access.list_for(
            session, world.actor("operator"), access.AppealFilters(text="幸福路"), now=now
        )
    assert page.total == 2
    assert len(seen) == 2, seen
    assert "COUNT(*)" in seen[0]
    assert "LIMIT" in seen[0]  # the count stops at the cap
    assert "COUNT(*) OVER ()" in seen[1]  # the page collects the matches, then sorts them


def test_postgresql_answers_the_text_condition_from_the_trigram_indexes(
    session: Session, world: World, now: datetime
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the trigram indexes exist on PostgreSQL only")
    _submit(session, world, now)
    stmt = select(func.count()).select_from(Appeal).where(access.text_condition("幸福路12"))
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    # A handful of rows: make the planner show whether the indexes can serve the query at all.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(str(r[0]) for r in session.connection().exec_driver_sql("EXPLAIN " + sql))
    for index in ("ix_appeal_title_trgm", "ix_appeal_content_trgm", "ix_appeal_address_trgm"):
        assert index in plan, plan
    assert session.scalar(stmt) == 1


@pytest.mark.parametrize("q", ["号", "幸福路"])
def test_a_search_is_counted_up_to_the_cap(
    session: Session, world: World, now: datetime, monkeypatch: pytest.MonkeyPatch, q: str
) -> None:
    """More matches than the cap: the count says "at least the cap", the page is still the
    newest matches; at most the cap: the exact count."""
    _submit(session, world, now)
    operator = world.actor("operator")
    expected = _expected(session, world, "operator", q, now)
    assert len(expected) >= 2
    monkeypatch.setattr(access, "TEXT_COUNT_CAP", 1)
    page = access.list_for(session, operator, access.AppealFilters(text=q, limit=2), now=now)
    assert (page.total, page.total_capped) == (1, True)
    assert [a.id for a in page.items] == expected[:2]
    monkeypatch.setattr(access, "TEXT_COUNT_CAP", len(expected))
    page = access.list_for(session, operator, access.AppealFilters(text=q, limit=2), now=now)
    assert (page.total, page.total_capped) == (len(expected), False)
    assert [a.id for a in page.items] == expected[:2]
