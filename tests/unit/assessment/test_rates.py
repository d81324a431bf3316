"""三率, composite score, configuration and one appeal's contribution (pure rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.assessment.rates import (
    DEFAULT_CONFIG,
    AppealSnapshot,
    AssessmentConfig,
    Counts,
    EvalState,
    Exclusion,
    Metric,
    ResponseState,
    UnitKeys,
    appeal_fact,
    fact_counts,
    fact_in_metric,
    rates,
    region_unit_keys,
)
from civicgrid.errors import Invalid

DUE = datetime(2026, 10, 10, 2, 0, tzinfo=UTC)  # 10:00 Beijing, 2026-10-10
STREET = UnitKeys(district_id=2, street_id=3)


def snap(**kw: object) -> AppealSnapshot:
    base: dict[str, object] = {
        "appeal_id": 1,
        "status": "in_progress",
        "units": STREET,
        "response_due_at": DUE,
    }
    base.update(kw)
    return AppealSnapshot(**base)  # type: ignore[arg-type]


# --- formulas -------------------------------------------------------------------------------


def test_formulas_with_default_config() -> None:
    c = Counts(
        response_due=10,
        response_on_time=9,
        valid_callbacks=20,
        resolved=18,
        satisfied=15,
        fairly_satisfied=4,
        excluded=3,
    )
    r = rates(c)
    assert r.response == pytest.approx(0.9)
    assert r.resolution == pytest.approx(0.9)
    assert r.satisfaction == pytest.approx((15 + 0.8 * 4) / 20)
    assert r.score == pytest.approx(0.30 * 0.9 + 0.35 * 0.9 + 0.35 * 0.91)
    assert c.dissatisfied == 1
    assert c.n == 33


def test_k_is_configurable() -> None:
    c = Counts(valid_callbacks=10, satisfied=5, fairly_satisfied=5)
    assert rates(c, AssessmentConfig(fairly_satisfied_weight=1.0)).satisfaction == 1.0
    assert rates(c, AssessmentConfig(fairly_satisfied_weight=0.0)).satisfaction == 0.5


def test_empty_counts_give_zeros_without_division_error() -> None:
    r = rates(Counts())
    assert (r.response, r.resolution, r.satisfaction, r.score) == (0.0, 0.0, 0.0, 0.0)
    assert not r.has_data
    assert Counts().n == 0


def test_score_reweights_over_rates_with_a_sample() -> None:
    only_response = rates(Counts(response_due=4, response_on_time=3))
    assert only_response.score == pytest.approx(0.75)
    only_callbacks = rates(Counts(valid_callbacks=2, resolved=2, satisfied=2))
    assert only_callbacks.score == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"weight_response": 0.5}, "权重之和"),
        ({"fairly_satisfied_weight": 1.5}, "0 到 1"),
        ({"governance_below_score": 0.99}, "治理类"),
        ({"yellow_min_score": 0.95}, "黄色"),
        ({"nonsense": 1}, "未知"),
        ({"weight_response": "abc"}, "数字"),
    ],
)
def test_bad_config_is_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        AssessmentConfig.from_mapping(values)


def test_config_from_mapping_overrides_defaults() -> None:
    cfg = AssessmentConfig.from_mapping(
        {"weight_response": 0.2, "weight_resolution": 0.4, "weight_satisfaction": 0.4}
    )
    assert cfg.weight_response == 0.2
    assert cfg.fairly_satisfied_weight == DEFAULT_CONFIG.fairly_satisfied_weight
    assert cfg.as_dict()["weight_resolution"] == 0.4


counts_strategy = st.builds(
    lambda due, on, cb, res, sat, fair, exc: Counts(
        response_due=due,
        response_on_time=min(on, due),
        valid_callbacks=cb,
        resolved=min(res, cb),
        satisfied=min(sat, cb),
        fairly_satisfied=min(fair, cb - min(sat, cb)),
        excluded=exc,
    ),
    *(st.integers(0, 1000) for _ in range(7)),
)


@given(counts_strategy, st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_rates_stay_in_unit_interval(c: Counts, k: float, a: float, b: float) -> None:
    wr, ws = a * 0.5, b * 0.5
    cfg = AssessmentConfig(
        fairly_satisfied_weight=k,
        weight_response=wr,
        weight_resolution=ws,
        weight_satisfaction=1.0 - wr - ws,
    )
    r = rates(c, cfg)
    for value in (r.response, r.resolution, r.satisfaction, r.score):
        assert 0.0 <= value <= 1.0
    assert min(r.response, r.resolution, r.satisfaction) - 1e-9 <= r.score or not (
        r.has_response and r.has_callbacks
    )


@given(counts_strategy, counts_strategy)
def test_counts_add_up(a: Counts, b: Counts) -> None:
    total = a + b
    for m in Metric:
        assert total.value(m) == a.value(m) + b.value(m)


# --- one appeal's contribution --------------------------------------------------------------


def test_on_time_response_counts_on_the_deadline_date() -> None:
    f = appeal_fact(snap(signed_at=DUE - timedelta(hours=3), contacted_at=DUE), now=DUE)
    assert f.response_state is ResponseState.ON_TIME
    assert f.response_day == date(2026, 10, 10)
    c = fact_counts(f, date(2026, 10, 10))
    assert (c.response_due, c.response_on_time) == (1, 1)
    assert fact_counts(f, date(2026, 10, 11)) == Counts()


def test_response_is_pending_until_the_window_closes_then_late() -> None:
    s = snap(signed_at=DUE - timedelta(hours=1))
    assert appeal_fact(s, now=DUE - timedelta(minutes=1)).response_state is ResponseState.PENDING
    assert appeal_fact(s, now=DUE - timedelta(minutes=1)).response_day is None
    late = appeal_fact(s, now=DUE)
    assert late.response_state is ResponseState.LATE
    assert fact_counts(late, date(2026, 10, 10)).response_on_time == 0
    contacted_late = appeal_fact(snap(signed_at=DUE, contacted_at=DUE + timedelta(seconds=1)), DUE)
    assert contacted_late.response_state is ResponseState.LATE


def test_valid_callback_counts_on_its_date() -> None:
    at = datetime(2026, 10, 20, 17, 0, tzinfo=UTC)  # 01:00 on the 21st in Beijing
    f = appeal_fact(
        snap(status="closed", callback_at=at, resolved=True, satisfaction="fairly_satisfied"),
        now=at,
    )
    assert f.eval_state is EvalState.VALID
    assert f.eval_day == date(2026, 10, 21)
    c = fact_counts(f, date(2026, 10, 21))
    assert (c.valid_callbacks, c.resolved, c.satisfied, c.fairly_satisfied) == (1, 1, 0, 1)
    assert fact_in_metric(f, Metric.FAIRLY_SATISFIED)
    assert not fact_in_metric(f, Metric.DISSATISFIED)


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"status": "terminated"}, Exclusion.TERMINATED),
        ({"status": "closed", "unreasonable": True}, Exclusion.UNREASONABLE),
        ({"status": "terminated", "unreasonable": True}, Exclusion.UNREASONABLE),
        ({"status": "closed", "answered_directly": True}, Exclusion.ANSWERED_DIRECTLY),
    ],
)
def test_exclusions_leave_the_callback_denominators(
    kw: dict[str, object], reason: Exclusion
) -> None:
    at = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
    f = appeal_fact(snap(closed_at=at, **kw), now=at)
    assert f.eval_state is EvalState.EXCLUDED
    assert f.exclusion is reason
    c = fact_counts(f, date(2026, 10, 20))
    assert (c.valid_callbacks, c.excluded) == (0, 1)
    with_callback = appeal_fact(
        snap(closed_at=at, callback_at=at, resolved=False, satisfaction="dissatisfied", **kw), at
    )
    assert fact_counts(with_callback, date(2026, 10, 20)).valid_callbacks == 0


def test_merged_and_unassigned_appeals_count_nowhere() -> None:
    at = DUE + timedelta(days=3)
    merged = appeal_fact(snap(status="merged", callback_at=at, satisfaction="satisfied"), at)
    assert merged.units.pairs() == []
    assert merged.response_state is ResponseState.NONE
    unassigned = appeal_fact(snap(units=UnitKeys()), at)
    assert unassigned.response_day is None
    assert unassigned.eval_state is EvalState.NONE


def test_region_unit_keys_reads_levels() -> None:
    levels = {1: "city", 2: "district", 3: "street", 4: "community"}
    assert region_unit_keys((1, 2, 3, 4), levels) == UnitKeys(district_id=2, street_id=3)
    assert region_unit_keys((1, 2), levels) == UnitKeys(district_id=2)
    assert region_unit_keys((1,), levels) == UnitKeys()
    assert UnitKeys(department_id=7).pairs() == [("department", 7)]
