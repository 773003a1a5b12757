"""Uplift metrics (churnlab.uplift.metrics): cases by hand, scikit-uplift, oracle, no effect."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from churnlab.uplift import metrics

# Outcome (1 = stayed), treatment, and a score already in descending order.
Y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
T = np.array([1, 1, 0, 1, 0, 1, 0, 0])
S = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])


def test_qini_and_uplift_curves_by_hand():
    k, qini = metrics.qini_curve(Y, S, T)
    np.testing.assert_array_equal(k, np.arange(9))
    # k=3: 1 treated stayer of 2 treated; 1 control stayer of 1 control, scaled to 2 → 1 - 2.
    np.testing.assert_allclose(qini, [0, 1, 1, -1, -1, 0.5, 0, -2 / 3, 0])
    _, uplift = metrics.uplift_curve(Y, S, T)
    # k=5: treated 2/3 stayed, control 1/2: (2/3 - 1/2) * 5.
    np.testing.assert_allclose(uplift[5], (2 / 3 - 1 / 2) * 5)
    assert uplift[-1] == pytest.approx((2 / 4 - 2 / 4) * 8)


def test_ties_move_together():
    k, _ = metrics.qini_curve(Y, np.array([1, 1, 1, 0, 0, 0, 0, 0]), T)
    np.testing.assert_array_equal(k, [0, 3, 8])


def test_uplift_at_top_by_hand():
    # Top half: treated rows 0, 1, 3 (2 of 3 stayed), control row 2 (stayed).
    assert metrics.uplift_at_top(Y, S, T, 0.5) == pytest.approx(2 / 3 - 1)
    assert np.isnan(metrics.uplift_at_top(Y, S, T, 0.125))  # one customer, one group


def _campaign(n: int, seed: int, effect: float):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    treatment = (rng.random(n) < 0.3).astype(int)
    tau = effect * (x > 0)
    y = (rng.random(n) < 0.6 + tau * treatment).astype(int)
    return y, treatment, tau, x


def test_matches_scikit_uplift():
    sklift = pytest.importorskip("sklift.metrics")
    y, t, _, x = _campaign(2000, 1, 0.2)
    score = x + np.random.default_rng(2).normal(size=len(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # sklift uses a deprecated helper
        for ours, theirs in (
            (metrics.qini_curve, sklift.qini_curve),
            (metrics.uplift_curve, sklift.uplift_curve),
        ):
            for a, b in zip(ours(y, score, t), theirs(y, score, t), strict=True):
                np.testing.assert_allclose(a, b)
        assert metrics.qini_coefficient(y, score, t) == pytest.approx(
            sklift.qini_auc_score(y, score, t)
        )
        assert metrics.auuc(y, score, t) == pytest.approx(sklift.uplift_auc_score(y, score, t))
        assert metrics.uplift_at_top(y, score, t, 0.3) == pytest.approx(
            sklift.uplift_at_k(y, score, t, strategy="overall", k=0.3)
        )


def test_true_effect_reaches_the_oracle_and_noise_does_not():
    y, t, tau, _ = _campaign(20000, 3, 0.25)
    oracle = metrics.qini_coefficient(y, tau, t)
    assert oracle > 0.05
    # A learner whose score orders customers as the true effect does is the oracle.
    assert metrics.qini_coefficient(y, 3 * tau + 1, t) == pytest.approx(oracle)
    noise = np.random.default_rng(4).normal(size=len(y))
    assert abs(metrics.qini_coefficient(y, noise, t)) < oracle / 3


def test_no_effect_gives_qini_near_zero():
    y, t, _, x = _campaign(20000, 5, 0.0)
    rows = np.arange(len(y))
    intervals = metrics.bootstrap(
        lambda r: metrics.summary(y[r], x[r], t[r]), len(rows), 50, seed=0
    )
    assert intervals["qini"]["low"] < 0 < intervals["qini"]["high"]
    assert intervals["uplift_at_10"]["low"] < 0 < intervals["uplift_at_10"]["high"]


def test_bootstrap_is_paired_by_seed():
    y, t, _, x = _campaign(500, 6, 0.2)
    a = metrics.bootstrap(lambda r: {"q": metrics.qini_coefficient(y[r], x[r], t[r])}, 500, 20, 9)
    b = metrics.bootstrap(lambda r: {"q": metrics.qini_coefficient(y[r], x[r], t[r])}, 500, 20, 9)
    assert a == b and a["q"]["low"] < a["q"]["high"]
