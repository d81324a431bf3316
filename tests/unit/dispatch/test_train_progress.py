"""Training reports its phases (features, fits, calibration) with counts that rise to each
phase's total, in one process and with forked workers alike."""

from __future__ import annotations

import pytest

from civicgrid.dispatch.classifier import (
    PHASE_CALIBRATION,
    PHASE_FEATURES,
    PHASE_FITS,
    TrainConfig,
    train,
)


@pytest.mark.parametrize("jobs", [1, 2])
def test_training_reports_every_phase_up_to_its_total(
    small_corpus: list[tuple[str, str]], jobs: int
) -> None:
    heard: list[tuple[str, int, int]] = []
    train(small_corpus, TrainConfig(n_jobs=jobs), progress=lambda *call: heard.append(call))
    phases = list(dict.fromkeys(phase for phase, _, _ in heard))
    assert phases == [PHASE_FEATURES, PHASE_FITS, PHASE_CALIBRATION]
    labels = len({label for _, label in small_corpus})
    folds = TrainConfig().calibration_folds
    expected_totals = {
        PHASE_FEATURES: 1,
        PHASE_FITS: labels * (1 + folds),  # all rows, then every calibration fold
        PHASE_CALIBRATION: labels + 1,  # one sigmoid per label, then the routing thresholds
    }
    for phase in phases:
        counts = [done for p, done, _ in heard if p == phase]
        totals = {total for p, _, total in heard if p == phase}
        assert totals == {expected_totals[phase]}
        assert counts == list(range(expected_totals[phase] + 1)), phase
