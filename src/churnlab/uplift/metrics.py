"""Uplift metrics as pure functions of outcome, score and treatment (no files, no params).

Conventions follow scikit-uplift (``sklift.metrics``), against which the tests check them:
``y`` is the desired outcome (1 = the customer stayed), ``treatment`` 1 for customers who got
the offer, ``score`` the estimated uplift (higher = contact first). Curves are evaluated at
every distinct score (ties move together), from the origin:

- Qini curve: ``Y_t(k) - Y_c(k) * N_t(k) / N_c(k)`` — extra retained customers among the
  treated of the top ``k``, against a control group scaled to their number;
- uplift curve: ``(Y_t(k)/N_t(k) - Y_c(k)/N_c(k)) * k``.

The Qini coefficient and AUUC are the areas between each curve and the random line,
divided by the same area for the perfect ordering of the observed outcomes (1 = perfect,
0 = random, negative = worse than random), as ``sklift``'s ``qini_auc_score`` and
``uplift_auc_score``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TOP_SHARES = (0.1, 0.2, 0.3)


def _arrays(y, score, treatment) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.asarray(a, dtype="float64") for a in (y, score, treatment))


def _cumulative(y, score, treatment):
    """Counts of the top ``k`` at each distinct score: (k, N_t, Y_t, N_c, Y_c), from 0."""
    y, score, treatment = _arrays(y, score, treatment)
    order = np.argsort(-score, kind="mergesort")
    y, score, treatment = y[order], score[order], treatment[order]
    ends = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    n_t = np.cumsum(treatment)[ends]
    y_t = np.cumsum(y * treatment)[ends]
    n_c = (ends + 1) - n_t
    y_c = np.cumsum(y * (1 - treatment))[ends]
    zero = np.zeros(1)
    return tuple(np.r_[zero, a] for a in (ends + 1.0, n_t, y_t, n_c, y_c))


def qini_curve(y, score, treatment) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted, Qini value) at each distinct score."""
    k, n_t, y_t, n_c, y_c = _cumulative(y, score, treatment)
    scaled = np.divide(y_c * n_t, n_c, out=np.zeros_like(y_c), where=n_c > 0)
    return k, y_t - scaled


def uplift_curve(y, score, treatment) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted, uplift × customers targeted) at each distinct score."""
    k, n_t, y_t, n_c, y_c = _cumulative(y, score, treatment)
    rate_t = np.divide(y_t, n_t, out=np.zeros_like(y_t), where=n_t > 0)
    rate_c = np.divide(y_c, n_c, out=np.zeros_like(y_c), where=n_c > 0)
    return k, (rate_t - rate_c) * k


def _area_over_random(curve: tuple[np.ndarray, np.ndarray]) -> float:
    x, v = curve
    return float(np.trapezoid(v, x) - x[-1] * v[-1] / 2)


def qini_coefficient(y, score, treatment) -> float:
    """Area between the Qini curve and the random line over that of the perfect ordering."""
    y, score, treatment = _arrays(y, score, treatment)
    perfect = y * treatment - y * (1 - treatment)
    model = _area_over_random(qini_curve(y, score, treatment))
    return model / _area_over_random(qini_curve(y, perfect, treatment))


def auuc(y, score, treatment) -> float:
    """Area between the uplift curve and the random line over that of the perfect ordering."""
    y, score, treatment = _arrays(y, score, treatment)
    control_responders = np.sum((y == 1) & (treatment == 0))
    treated_non_responders = np.sum((y == 0) & (treatment == 1))
    tiebreak = y if control_responders > treated_non_responders else treatment
    perfect = 2 * (y == treatment) + tiebreak
    model = _area_over_random(uplift_curve(y, score, treatment))
    return model / _area_over_random(uplift_curve(y, perfect, treatment))


def uplift_at_top(y, score, treatment, share: float) -> float:
    """Retention rate of treated minus control among the top ``share`` of all customers."""
    y, score, treatment = _arrays(y, score, treatment)
    top = np.argsort(-score, kind="mergesort")[: int(np.ceil(share * len(y)))]
    y, treatment = y[top], treatment[top]
    if treatment.all() or not treatment.any():
        return float("nan")
    return float(y[treatment == 1].mean() - y[treatment == 0].mean())


def summary(y, score, treatment) -> dict[str, float]:
    """Every headline metric of one score."""
    out = {"qini": qini_coefficient(y, score, treatment), "auuc": auuc(y, score, treatment)}
    for share in TOP_SHARES:
        out[f"uplift_at_{round(share * 100)}"] = uplift_at_top(y, score, treatment, share)
    return out


def bootstrap(
    statistic: Callable[[np.ndarray], dict[str, float]],
    n: int,
    resamples: int,
    seed: int,
    confidence: float = 0.95,
) -> dict[str, dict[str, float]]:
    """Percentile intervals of each figure ``statistic(rows)`` returns, over resampled rows.

    Every call with the same ``n`` and ``seed`` draws the same resamples, so two statistics
    of the same customers (or one statistic of a difference) are paired.
    """
    rng = np.random.default_rng(seed)
    draws = [statistic(rng.integers(0, n, n)) for _ in range(resamples)]
    alpha = (1 - confidence) / 2
    out = {}
    for name in draws[0]:
        values = np.array([d[name] for d in draws], dtype="float64")
        values = values[np.isfinite(values)]
        low, high = np.quantile(values, [alpha, 1 - alpha])
        out[name] = {"low": float(low), "high": float(high), "std": float(values.std())}
    return out
