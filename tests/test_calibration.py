"""Calibration on validation: ECE by hand, Brier improves on a miscalibrated model."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import brier_score_loss, roc_auc_score

from churnlab.modeling.calibration import (
    calibrate,
    calibration_report,
    crossfit_scores,
    expected_calibration_error,
    reliability_frame,
)


class Overconfident(ClassifierMixin, BaseEstimator):
    """Scores the true probability pushed towards 0 and 1 (a typical miscalibration)."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = np.asarray(X)[:, 0]
        q = p**3 / (p**3 + (1 - p) ** 3)
        return np.column_stack([1 - q, q])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, size=4000)
    return p.reshape(-1, 1), (rng.uniform(size=4000) < p).astype(int)


def test_ece_by_hand():
    y = np.array([0, 1, 1, 0])
    p = np.array([0.05, 0.15, 0.85, 0.95])
    # bins: [0.0,0.1): p .05 y 0 -> .05; [0.1,0.2): .15 vs 1 -> .85; [0.8,0.9): .85 vs 1 -> .15;
    # [0.9,1]: .95 vs 0 -> .95; each weighs 1/4.
    assert expected_calibration_error(y, p, 10) == pytest.approx((0.05 + 0.85 + 0.15 + 0.95) / 4)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_improves_brier_out_of_sample(sample, method):
    X, y = sample
    model = Overconfident().fit(X, y)
    before = model.predict_proba(X)[:, 1]
    crossfit = crossfit_scores(model, X, y, method, seed=0)
    assert brier_score_loss(y, crossfit) < brier_score_loss(y, before)
    assert expected_calibration_error(y, crossfit) < expected_calibration_error(y, before)
    calibrated = calibrate(model, X, y, method)
    after = calibrated.predict_proba(X)[:, 1]
    assert roc_auc_score(y, after) == pytest.approx(roc_auc_score(y, before), abs=0.005)
    report = calibration_report(y, before, after, crossfit, 10)
    assert report["brier_after_crossfit"] < report["brier_before"]


def test_none_leaves_the_model_alone(sample):
    X, y = sample
    model = Overconfident().fit(X, y)
    assert calibrate(model, X, y, "none") is model


def test_reliability_frame_counts_every_customer(sample):
    X, y = sample
    frame = reliability_frame(y, X[:, 0], 10)
    assert frame["n"].sum() == len(y)
    assert np.all(np.abs(frame["observed_rate"] - frame["mean_predicted"]) < 0.08)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrated_probability_replayed_from_the_wrapped_models_probability(sample, method):
    from churnlab.modeling.calibration import calibrated_from_base

    X, y = sample
    model = Overconfident().fit(X, y)
    calibrated = calibrate(model, X[:2000], y[:2000], method)
    base = model.predict_proba(X[2000:])[:, 1]
    expected = calibrated.predict_proba(X[2000:])[:, 1]
    np.testing.assert_array_equal(calibrated_from_base(calibrated, base), expected)
    assert calibrated_from_base(model, base) is None  # not a calibrated model
