"""Metrics agree with scikit-learn computed directly; the F1 threshold is the best one."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from churnlab.metrics import (
    calibration_table,
    classification_metrics,
    max_f1_threshold,
    rounded,
)


@pytest.fixture
def example() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 400)
    scores = np.clip(0.35 * y + rng.normal(0.35, 0.2, 400), 0.001, 0.999)
    return y, scores


def brute_force_f1_threshold(y: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Best F1 over every candidate threshold (the distinct scores); ties to the higher one."""
    best_f1, best_t = -1.0, None
    for t in np.unique(scores):
        f1 = skm.f1_score(y, (scores >= t).astype(int), zero_division=0)
        if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and t > best_t):
            best_f1, best_t = f1, t
    return float(best_t), best_f1


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.62])
def test_classification_metrics_agree_with_sklearn(example, threshold):
    y, scores = example
    result = classification_metrics(y, scores, threshold)
    predicted = (scores >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, predicted).ravel()
    expected = {
        "roc_auc": skm.roc_auc_score(y, scores),
        "pr_auc": skm.average_precision_score(y, scores),
        "f1": skm.f1_score(y, predicted),
        "precision": skm.precision_score(y, predicted),
        "recall": skm.recall_score(y, predicted),
        "specificity": tn / (tn + fp),
        "accuracy": skm.accuracy_score(y, predicted),
        "brier": skm.brier_score_loss(y, scores),
        "log_loss": skm.log_loss(y, scores),
        "threshold": threshold,
        "n": len(y),
        "positive_rate": y.mean(),
    }
    assert set(expected) <= set(result)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, rel=1e-9), key
    counts = {
        "true_negatives": tn,
        "false_positives": fp,
        "false_negatives": fn,
        "true_positives": tp,
    }
    for key, value in counts.items():  # optional extras, but right when present
        assert result.get(key, value) == value, key


def test_metrics_by_hand():
    y = np.array([1, 1, 0, 0, 0])
    scores = np.array([0.9, 0.4, 0.6, 0.2, 0.1])
    result = classification_metrics(y, scores, 0.5)
    assert result["precision"] == 0.5  # 0.9 right, 0.6 wrong
    assert result["recall"] == 0.5
    assert result["specificity"] == pytest.approx(2 / 3)
    assert result["accuracy"] == pytest.approx(3 / 5)
    assert result["roc_auc"] == pytest.approx(5 / 6)


def test_no_positive_prediction_gives_zero_not_an_error():
    y = np.array([0, 1, 0, 1])
    result = classification_metrics(y, np.array([0.1, 0.2, 0.3, 0.4]), 0.9)
    assert result["precision"] == 0
    assert result["recall"] == 0
    assert result["f1"] == 0
    assert result["specificity"] == 1


@pytest.mark.parametrize(
    ("y", "scores"),
    [
        ([0, 1, 1, 0, 1, 0, 0, 1], [0.1, 0.8, 0.35, 0.4, 0.7, 0.2, 0.6, 0.9]),
        ([1, 0, 0, 0, 1, 0, 1, 0, 0, 0], [0.2, 0.9, 0.1, 0.3, 0.8, 0.4, 0.55, 0.5, 0.05, 0.6]),
        ([0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.5]),
    ],
)
def test_max_f1_threshold_matches_brute_force(y, scores):
    y, scores = np.array(y), np.array(scores)
    expected_t, expected_f1 = brute_force_f1_threshold(y, scores)
    threshold = max_f1_threshold(y, scores)
    assert threshold == pytest.approx(expected_t)
    assert skm.f1_score(y, (scores >= threshold).astype(int)) == pytest.approx(expected_f1)


def test_max_f1_threshold_matches_brute_force_on_a_larger_sample(example):
    y, scores = example
    scores = np.round(scores, 2)  # many tied scores
    expected_t, expected_f1 = brute_force_f1_threshold(y, scores)
    threshold = max_f1_threshold(y, scores)
    assert skm.f1_score(y, (scores >= threshold).astype(int)) == pytest.approx(expected_f1)
    assert threshold == pytest.approx(expected_t)


def test_max_f1_threshold_is_a_score():
    scores = np.array([0.15, 0.25, 0.65, 0.75])
    assert max_f1_threshold(np.array([0, 0, 1, 1]), scores) == 0.65


def test_max_f1_ties_go_to_the_higher_threshold():
    # Flag everybody (P=0.5, R=1) and flag the 0.8 scores (P=0.75, R=0.6) both give F1 = 2/3.
    y = np.array([1, 1, 0, 1, 0, 0, 0, 1, 1, 0])
    scores = np.array([0.8, 1.0, 0.7, 0.3, 0.5, 0.8, 0.7, 0.8, 0.5, 0.7])
    assert max_f1_threshold(y, scores) == 0.8


def test_threshold_at_a_score_of_one_flags_those_customers():
    y = np.array([0, 0, 1, 1])
    scores = np.array([0.0, 0.2, 1.0, 1.0])
    threshold = max_f1_threshold(y, scores)
    assert threshold == 1.0
    assert classification_metrics(y, scores, threshold)["f1"] == 1.0


def test_calibration_table_bins(example):
    y, scores = example
    table = calibration_table(y, scores, 5)
    assert len(table["mean_predicted"]) == len(table["observed_rate"]) == 5
    assert np.all(np.diff(table["mean_predicted"]) > 0)
    # Each bin is a fifth of the customers, so the observed rates average to the label rate.
    assert np.mean(table["observed_rate"]) == pytest.approx(y.mean(), abs=0.01)


def test_rounded_rounds_floats_only():
    values = rounded({"a": 0.123456789, "b": np.float32(0.5), "n": 7, "name": "xgboost"}, 3)
    assert values == {"a": 0.123, "b": 0.5, "n": 7, "name": "xgboost"}
    assert type(values["b"]) is float
