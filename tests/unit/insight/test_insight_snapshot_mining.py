"""The mining step of the hot-problems refresh works on facts read beforehand and touches no
database, so the job can run it with no transaction open."""

from __future__ import annotations

from datetime import datetime, timedelta

from civicgrid.appeals.queries.scoped_facts import AppealFacts
from civicgrid.clock import BEIJING
from civicgrid.insight import snapshots
from civicgrid.insight.periods import parse_period

NOV = parse_period("2026-11")
AT = datetime(2026, 11, 20, 9, 0, tzinfo=BEIJING)
DISTRICT_A = "/1/2/"
DISTRICT_B = "/1/5/"
EMPTY_DISTRICT = "/1/9/"


def _facts(number: str, title: str, region_path: str, day: int) -> AppealFacts:
    return AppealFacts(
        id=int(number[1:]),
        number=number,
        title=title,
        content=f"{title}，已经持续一周。",
        address="",
        received_at=AT + timedelta(days=day),
        region_path=region_path,
        category="",
        caller_hash=f"hash-{number}",
        resident_user_id=None,
        level="normal",
        satisfaction=None,
        reopen_count=0,
    )


def test_mining_a_period_needs_no_session_and_puts_the_city_last() -> None:
    noise = [
        _facts(f"A{i}", t, f"{DISTRICT_A}3/", i)
        for i, t in enumerate(
            [
                "建国里小区旁工地夜间施工噪音扰民",
                "建国里工地夜间施工噪音太大睡不着",
                "投诉建国里附近工地夜间施工噪音",
            ]
        )
    ]
    lift = [
        _facts(f"B{i}", t, f"{DISTRICT_B}6/", i)
        for i, t in enumerate(
            [
                "中关村小区3号楼电梯经常故障困人",
                "中关村小区3号楼电梯又坏了困人",
                "中关村小区3号楼电梯故障多次困人",
            ]
        )
    ]
    facts = snapshots.PeriodFacts(
        period=NOV, parts={DISTRICT_B: lift, DISTRICT_A: noise, EMPTY_DISTRICT: []}
    )

    mined = snapshots.mine_period(facts)

    assert [(m.region_path, m.appeals) for m in mined] == [
        (DISTRICT_A, 3),
        (DISTRICT_B, 3),
        (EMPTY_DISTRICT, 0),
        (snapshots.CITY, 6),
    ]
    assert [g.hotspot.members for g in mined[0].groups] == [("A0", "A1", "A2")]
    assert [g.member_ids for g in mined[1].groups] == [(0, 1, 2)]
    assert mined[2].groups == []
    city = mined[-1].groups
    assert sorted(g.hotspot.members for g in city) == [("A0", "A1", "A2"), ("B0", "B1", "B2")]
    assert [g.hotspot.rank for g in city] == [1, 2]
    # region keys stay ids until the store names them in its transaction
    assert [g.hotspot.areas for g in mined[0].groups] == [(DISTRICT_A,)]
