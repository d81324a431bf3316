"""The consultation transition table, eligibility, tally and evaluation rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from civicgrid.errors import Invalid, InvalidTransition
from civicgrid.participation.consultations import states as st

S = st.ConsultationStatus
A = st.ConsultationAction

HAPPY_PATH = [
    (A.NOTICE, S.NOTICED),
    (A.HOLD, S.HELD),
    (A.RESOLVE, S.RESOLVED),
    (A.IMPLEMENT, S.IMPLEMENTING),
    (A.PUBLISH_FEEDBACK, S.FEEDBACK_PUBLISHED),
    (A.CLOSE_EVALUATION, S.EVALUATED),
]


def test_the_happy_path_walks_every_status_in_order() -> None:
    status = S.PROPOSED
    for action, expected in HAPPY_PATH:
        status = st.next_status(status, action)
        assert status is expected


@pytest.mark.parametrize("status", [S.PROPOSED, S.NOTICED, S.HELD])
def test_cancel_is_allowed_before_the_resolution(status: S) -> None:
    assert st.next_status(status, A.CANCEL) is S.CANCELLED


@pytest.mark.parametrize(
    "status", [S.RESOLVED, S.IMPLEMENTING, S.FEEDBACK_PUBLISHED, S.EVALUATED, S.CANCELLED]
)
def test_cancel_is_refused_after_the_resolution(status: S) -> None:
    with pytest.raises(InvalidTransition, match="撤销议题"):
        st.next_status(status, A.CANCEL)


def test_another_meeting_keeps_the_topic_held() -> None:
    assert st.next_status(S.HELD, A.HOLD) is S.HELD


@given(hs.sampled_from(list(S)), hs.sampled_from(list(A)))
def test_terminal_statuses_never_move(status: S, action: A) -> None:
    if status in st.TERMINAL:
        with pytest.raises(InvalidTransition):
            st.next_status(status, action)


@given(hs.sampled_from(list(S)), hs.sampled_from(list(A)))
def test_next_status_agrees_with_allowed_actions(status: S, action: A) -> None:
    if action in st.allowed_actions(status):
        assert st.next_status(status, action) is st.TRANSITIONS[(status, action)]
    else:
        with pytest.raises(InvalidTransition):
            st.next_status(status, action)


def test_every_status_has_a_chinese_label() -> None:
    assert all(s.label and s.colour for s in S)
    assert all(a.label for a in A)


@pytest.mark.parametrize(
    ("scope", "homes", "eligible"),
    [
        ("/1/2/4/6/", ["/1/2/4/6/8/"], True),
        ("/1/2/4/6/", ["/1/2/4/7/9/"], False),
        ("/1/2/4/6/", ["/1/2/4/7/9/", "/1/2/4/6/10/"], True),
        ("/1/2/4/6/", [], False),
        ("", ["/1/"], False),
        ("/1/2/4/6/8/", ["/1/2/4/6/8/"], True),
    ],
)
def test_eligibility_needs_a_current_home_inside_the_region(
    scope: str, homes: list[str], eligible: bool
) -> None:
    assert st.is_eligible(scope, homes) is eligible


def test_prefix_eligibility_does_not_confuse_ids_sharing_digits() -> None:
    assert not st.is_eligible("/1/2/4/6/", ["/1/2/4/61/"])


def test_tally_counts_every_option_and_finds_the_leaders() -> None:
    counts = st.tally([1, 2, 3], [1, 2, 2, 2, 1])
    assert counts == {1: 2, 2: 3, 3: 0}
    assert st.leading_options(counts) == [2]
    assert st.leading_options({1: 1, 2: 1}) == [1, 2]
    assert st.leading_options({1: 0}) == []


def test_notice_problems_list_each_missing_piece() -> None:
    assert st.notice_problems(participant_count=1, notice_text="开会", materials="") == []
    problems = st.notice_problems(participant_count=0, notice_text=" ", materials="")
    assert len(problems) == 2


def test_six_fixed_categories_plus_x() -> None:
    assert len(st.FIXED_CATEGORIES) == 6
    missing = st.missing_fixed_categories(["party_org", "stakeholder"])
    assert st.ParticipantCategory.PARTY_ORG not in missing
    assert len(missing) == 5


@pytest.mark.parametrize("score", [0, 6, -1])
def test_scores_outside_one_to_five_are_invalid(score: int) -> None:
    with pytest.raises(Invalid):
        st.check_score(score)


def test_satisfaction_share_of_four_and_five() -> None:
    assert st.satisfaction_pct([]) is None
    assert st.satisfaction_pct([5, 4, 3, 1]) == 50.0
