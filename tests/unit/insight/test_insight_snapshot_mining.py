"""The mining step of the hot-problems refresh works on facts read beforehand and touches no
database, so the job can run it with no transaction open."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tests.builders.insight_texts import SUBSIDY

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


def test_a_topic_asked_in_several_districts_is_one_city_wide_problem_in_the_city() -> None:
    def asked(district: str, prefix: str) -> list[AppealFacts]:
        # each asked at another community of the district: the question names no place
        return [_facts(f"{prefix}{i}", t, f"{district}{10 + i}/", i) for i, t in enumerate(SUBSIDY)]

    parts = {DISTRICT_A: asked(DISTRICT_A, "A"), DISTRICT_B: asked(DISTRICT_B, "B")}
    parts[DISTRICT_B][0] = replace(parts[DISTRICT_B][0], caller_hash="hash-A0")  # calls twice
    facts = snapshots.PeriodFacts(period=NOV, parts=parts)

    mined = snapshots.mine_period(facts)

    district_a, district_b, city = mined
    (a,) = [g for g in district_a.groups if g.hotspot.topic]
    (b,) = [g for g in district_b.groups if g.hotspot.topic]
    assert a.hotspot.topic == b.hotspot.topic
    assert (a.hotspot.size, b.hotspot.size) == (5, 5)
    (one,) = [g for g in city.groups if g.hotspot.topic]
    h = one.hotspot
    assert h.topic == a.hotspot.topic
    assert h.size == 10
    assert sorted(h.members) == sorted(a.hotspot.members + b.hotspot.members)
    assert sorted(one.member_ids) == sorted(a.member_ids + b.member_ids)
    assert one.member_paths == tuple(sorted(a.member_paths + b.member_paths))
    assert (h.callers, one.repeat_callers) == (9, 1)
    assert (h.areas, h.places) == ((), ())
    assert h.label.startswith(f"全市 · {h.topic}")
    assert h.heat > max(a.hotspot.heat, b.hotspot.heat)
    assert set(h.heat_parts) == set(a.hotspot.heat_parts)
    assert len(h.samples) == len(one.sample_ids) == 3
    assert {s.key[0] for s in h.samples} == {"A", "B"}  # taken in turn from both districts
    assert [g.hotspot.topic for g in city.groups].count(h.topic) == 1
    assert [g.hotspot.rank for g in city.groups] == list(range(1, len(city.groups) + 1))


def test_a_topic_of_one_district_stays_as_mined() -> None:
    parts = {
        DISTRICT_A: [
            _facts(f"A{i}", t, f"{DISTRICT_A}{10 + i}/", i) for i, t in enumerate(SUBSIDY)
        ],
        DISTRICT_B: [],
    }

    district_a, _, city = snapshots.mine_period(snapshots.PeriodFacts(period=NOV, parts=parts))

    assert [replace(g.hotspot, rank=0) for g in city.groups] == [
        replace(g.hotspot, rank=0) for g in district_a.groups
    ]
