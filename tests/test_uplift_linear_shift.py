"""The linear model of the offer's shift of the churn log-odds (churnlab.uplift.linear_shift)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.uplift.linear_shift import LinearShift, fit_offset_logistic


def _treated(n: int, seed: int, shift_of):
    """Treated customers whose churn log-odds are a known offset moved by ``shift_of(X)``."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 5)), columns=[f"f{i}" for i in range(5)])
    offset = rng.normal(-1.0, 1.0, n)
    shift = shift_of(X.to_numpy())
    y = (rng.random(n) < 1 / (1 + np.exp(-(offset + shift)))).astype(int)
    return X, y, offset, shift


def test_offset_logistic_recovers_known_coefficients():
    X, y, offset, _ = _treated(20_000, 0, lambda x: 0.5 - 1.0 * x[:, 0] + 0.7 * x[:, 2])
    w = fit_offset_logistic(X.to_numpy(), y, offset, penalty=1e-6)
    np.testing.assert_allclose(w[:4], [0.5, -1.0, 0.0, 0.7], atol=0.08)
    # The offset is not re-learned: a model ignoring it would put its weight elsewhere.
    assert abs(w[4]) < 0.08 and abs(w[5]) < 0.08


def test_interactions_of_the_main_effects_find_a_product_shift():
    def shift_of(x):
        return 0.6 * x[:, 1] + 0.6 * x[:, 3] - 1.5 * x[:, 1] * x[:, 3]

    X, y, offset, _ = _treated(8000, 1, shift_of)
    Xv, yv, ov, _ = _treated(3000, 2, shift_of)
    Xt, _, _, true = _treated(3000, 3, shift_of)
    main = LinearShift().fit(X, y, offset, Xv, yv, ov)
    pairs = LinearShift(interactions=2).fit(X, y, offset, Xv, yv, ov)
    assert pairs.pairs_.tolist() == [[1, 3]]  # the two strongest main effects
    assert main.penalty_ in main.penalties
    corr_main = np.corrcoef(main.shift(Xt), true)[0, 1]
    corr_pairs = np.corrcoef(pairs.shift(Xt), true)[0, 1]
    assert corr_pairs > 0.95 > corr_main


def test_without_a_validation_split_the_default_penalty_is_used():
    X, y, offset, _ = _treated(3000, 4, lambda x: -x[:, 0])
    model = LinearShift(default_penalty=1e-3).fit(X, y, offset)
    assert not hasattr(model, "penalty_")
    assert model.coef_[0] < -0.5
    np.testing.assert_allclose(model.shift(X.iloc[:5]), model.shift(X).tolist()[:5])
