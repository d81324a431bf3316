"""Monthly-topic candidates: frequent problems that cross units or regions."""

from __future__ import annotations

from civicgrid.insight.topics import ProblemRecord, TopicConfig, candidates


def _records(
    problem: str, n: int, *, units: list[str], regions: list[str], bad: int = 0
) -> list[ProblemRecord]:
    return [
        ProblemRecord(
            problem=problem,
            label=problem,
            key=f"{problem}-{i}",
            unit=units[i % len(units)],
            region=regions[i % len(regions)],
            dissatisfied=i < bad,
        )
        for i in range(n)
    ]


def test_frequent_problems_across_departments_are_candidates_and_single_unit_ones_are_not() -> None:
    records = (
        _records("供暖", 12, units=["热力公司", "住建委"], regions=["建外街道"])
        + _records("占道经营", 20, units=["城管"], regions=["建外街道"])
        + _records("停车", 3, units=["交通委", "城管"], regions=["建外街道", "永安里"])
    )

    found = candidates(records)

    assert [c.problem for c in found] == ["供暖"]
    assert found[0].rank == 1
    assert found[0].units == ("热力公司", "住建委")
    assert any("跨部门" in r for r in found[0].reasons)


def test_a_problem_raised_in_many_regions_is_a_common_problem() -> None:
    records = _records("楼道堆物", 9, units=["街道"], regions=["甲", "乙", "丙"])

    (found,) = candidates(records)

    assert found.regions == ("甲", "乙", "丙")
    assert any("共性问题" in r for r in found.reasons)


def test_dissatisfaction_and_growth_raise_the_rank() -> None:
    records = _records("甲问题", 10, units=["A", "B"], regions=["x"]) + _records(
        "乙问题", 10, units=["A", "B"], regions=["x"], bad=6
    )

    found = candidates(records, previous_counts={"甲问题": 10, "乙问题": 10})

    assert [c.problem for c in found] == ["乙问题", "甲问题"]
    assert found[0].dissatisfied_share == 0.6

    even = _records("甲问题", 10, units=["A", "B"], regions=["x"]) + _records(
        "乙问题", 10, units=["A", "B"], regions=["x"]
    )
    grown = candidates(even, previous_counts={"甲问题": 2, "乙问题": 10})
    assert grown[0].problem == "甲问题"
    assert grown[0].growth == 1.0


def test_limit_and_minimum_count_apply() -> None:
    records = []
    for k in range(5):
        records += _records(f"问题{k}", 6 + k, units=["A", "B"], regions=["x"])

    found = candidates(records, config=TopicConfig(limit=2, min_count=7))

    assert len(found) == 2
    assert all(c.count >= 7 for c in found)


def test_no_records_no_candidates() -> None:
    assert candidates([]) == []
