"""KS, top-decile lift, expected catches and bootstrap intervals against direct computations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from churnlab.metrics import (
    _weighted_ranking_metrics,
    bootstrap_intervals,
    bootstrap_replicates,
    expected_caught,
    ks_statistic,
    paired_bootstrap,
    top_share_metrics,
)


def scored(n: int, seed: int = 0, signal: float = 1.0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    scores = 1 / (1 + np.exp(-(signal * y + rng.normal(size=n))))
    return y, scores


def test_ks_is_the_largest_cdf_gap_by_hand():
    y, scores = scored(500, seed=1)
    gaps = [np.mean(scores[y == 0] <= t) - np.mean(scores[y == 1] <= t) for t in np.unique(scores)]
    assert ks_statistic(y, scores) == pytest.approx(max(gaps), abs=1e-12)


def test_expected_caught_breaks_ties_by_expectation():
    y = np.array([1, 0, 1, 0, 0, 1])
    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1])
    # top 3: the 0.9 churner, then 2 of the 4 tied at 0.5 (1 churner among them) → 1 + 2 * 1/4
    assert expected_caught(y, scores, 3) == pytest.approx(1.5)
    assert expected_caught(y, scores, 0) == 0.0
    assert expected_caught(y, scores, 6) == pytest.approx(3)


def test_top_decile_lift_and_capture():
    y = np.array([1] * 10 + [0] * 90)
    scores = np.r_[np.linspace(0.9, 0.99, 5), np.linspace(0.1, 0.2, 5), np.linspace(0.3, 0.8, 90)]
    top = top_share_metrics(y, scores, 0.1)
    # the top 10 scores hold 5 churners: precision 0.5 over base rate 0.1 → lift 5
    assert top["churners_caught"] == pytest.approx(5)
    assert top["lift"] == pytest.approx(5.0)
    assert top["capture_rate"] == pytest.approx(0.5)


def test_weighted_metrics_equal_sklearn_with_sample_weights():
    y, scores = scored(300, seed=2)
    scores = np.round(scores, 2)  # create ties
    rng = np.random.default_rng(3)
    weights = rng.integers(0, 4, size=(3, len(y))).astype(float)
    auc, ap = _weighted_ranking_metrics(y.astype(float), scores, weights)
    for row in range(3):
        w = weights[row]
        assert auc[row] == pytest.approx(skm.roc_auc_score(y, scores, sample_weight=w))
        assert ap[row] == pytest.approx(skm.average_precision_score(y, scores, sample_weight=w))


def test_bootstrap_interval_contains_the_estimate_and_shrinks_with_more_data():
    widths = {}
    for n in (400, 6400):
        y, scores = scored(n, seed=4)
        ci = bootstrap_intervals(y, scores, n_resamples=300, seed=7)
        for name, point in (
            ("roc_auc", skm.roc_auc_score(y, scores)),
            ("pr_auc", skm.average_precision_score(y, scores)),
        ):
            assert ci[name]["low"] < point < ci[name]["high"], (n, name)
        widths[n] = ci["roc_auc"]["high"] - ci["roc_auc"]["low"]
    # 16× the customers → about 4× narrower; demand at least 2.5×
    assert widths[6400] < widths[400] / 2.5


def test_bootstrap_is_seeded():
    y, scores = scored(500, seed=5)
    a = bootstrap_intervals(y, scores, 50, seed=1)
    assert a == bootstrap_intervals(y, scores, 50, seed=1)
    assert a != bootstrap_intervals(y, scores, 50, seed=2)


def test_paired_bootstrap_difference_and_its_narrower_interval():
    y, strong = scored(3000, seed=6, signal=1.5)
    rng = np.random.default_rng(8)
    # A weaker model that shares most of the strong one's errors: what pairing is for.
    weak = strong + 0.05 * rng.normal(size=len(y))
    out = paired_bootstrap(y, strong, weak, n_resamples=400, seed=3)
    auc = out["roc_auc"]
    expected = skm.roc_auc_score(y, strong) - skm.roc_auc_score(y, weak)
    assert auc["difference"] == pytest.approx(expected, abs=1e-12)
    assert 0 < auc["low"] < expected < auc["high"]
    assert auc["p_value"] < 0.05
    # Same seed → same resamples: the paired spread is the spread of the replicate differences,
    # far below the unpaired sqrt(var_a + var_b).
    rep_strong, _ = bootstrap_replicates(y, strong, 400, seed=3)
    rep_weak, _ = bootstrap_replicates(y, weak, 400, seed=3)
    assert auc["std"] == pytest.approx(np.std(rep_strong - rep_weak))
    assert auc["std"] < 0.5 * np.sqrt(rep_strong.var() + rep_weak.var())


def test_paired_bootstrap_of_a_model_against_itself_is_zero_and_not_a_win():
    y, scores = scored(800, seed=9)
    out = paired_bootstrap(y, scores, scores, n_resamples=100, seed=1)
    for metric in ("roc_auc", "pr_auc"):
        assert out[metric]["difference"] == 0.0
        assert out[metric]["low"] == out[metric]["high"] == 0.0
        assert out[metric]["p_value"] == 1.0  # never strictly better


@pytest.mark.parametrize("decimals", [None, 2])
def test_replicates_equal_the_weighted_metrics_on_the_bootstrap_counts_exactly(decimals):
    # The replicates count each resample's picks per group of tied scores instead of summing a
    # weight matrix; with whole-number counts both must give bit-identical figures.
    y, scores = scored(700, seed=11)
    scores = scores if decimals is None else np.round(scores, decimals)  # with ties
    y = y.astype(float)
    seed, n_resamples, chunk = 5, 230, 100
    auc, ap = bootstrap_replicates(y, scores, n_resamples, seed, chunk)
    rng = np.random.default_rng(seed)  # the same draws, as a resamples x customers matrix
    expected = []
    for start in range(0, n_resamples, chunk):
        picks = rng.integers(0, len(y), size=(min(chunk, n_resamples - start), len(y)))
        counts = np.stack([np.bincount(row, minlength=len(y)) for row in picks]).astype(float)
        expected.append(_weighted_ranking_metrics(y, scores, counts))
    assert np.array_equal(auc, np.concatenate([e[0] for e in expected]))
    assert np.array_equal(ap, np.concatenate([e[1] for e in expected]))
    assert len(np.unique(auc)) > 100  # the resamples really differ
