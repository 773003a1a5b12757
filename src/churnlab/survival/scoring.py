"""Survival metrics and their bootstrap intervals, as pure functions of arrays.

Harrell's concordance is computed here with customer weights (a bootstrap resample is a
weighting), equal to scikit-survival's ``concordance_index_censored`` for unit weights; the
integrated Brier score as the mean of per-customer inverse-probability-of-censoring-weighted
losses, equal to scikit-survival's ``integrated_brier_score``, so that a resample is a
weighted mean. Uno's concordance and the time-dependent AUC are scikit-survival's.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from churnlab.survival.models import target


def harrell(duration, event, risk, weight=None) -> float:
    """Harrell's C: of the comparable pairs (the earlier one churned), the share where the
    earlier churner has the higher risk (ties in risk count one half)."""
    duration, event = np.asarray(duration), np.asarray(event, bool)
    weight = np.ones(len(duration)) if weight is None else np.asarray(weight, "float64")
    times, t = np.unique(duration, return_inverse=True)
    ranks, r = np.unique(np.asarray(risk), return_inverse=True)
    shape, cell = (len(times), len(ranks)), t * len(ranks) + r
    everyone = np.bincount(cell, weight, shape[0] * shape[1]).reshape(shape)
    censored = np.bincount(cell, weight * ~event, shape[0] * shape[1]).reshape(shape)
    later = np.cumsum(everyone[::-1], axis=0)[::-1] - everyone  # with a longer duration
    pool = later + censored  # comparable with an event at each time, by risk rank
    below = np.cumsum(pool, axis=1) - pool
    w = weight[event]
    numerator = np.sum(w * (below[t[event], r[event]] + 0.5 * pool[t[event], r[event]]))
    denominator = np.sum(w * pool.sum(axis=1)[t[event]])
    return float(numerator / denominator)


def brier_losses(train, test, curves: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per test customer: the IPCW Brier loss integrated over ``times`` (divided by the span).

    ``train`` and ``test`` are ``(duration, event)``; ``curves`` the predicted survival of each
    test customer at ``times``. Their mean is the integrated Brier score.
    """
    from sksurv.nonparametric import CensoringDistributionEstimator

    censoring = CensoringDistributionEstimator().fit(target(*train))
    duration, event = np.asarray(test[0]), np.asarray(test[1], bool)
    # 1/G(T_i) of the customers who churn within the grid (the others never use it; G may
    # reach zero at the longest durations, where scikit-survival would refuse).
    churns = event & (duration <= times[-1])
    after_event = np.zeros(len(duration))
    after_event[churns] = 1.0 / censoring.predict_proba(duration[churns])
    inverse_g = 1.0 / censoring.predict_proba(times)
    churned = (duration[:, None] <= times[None, :]) & event[:, None]
    survived = duration[:, None] > times[None, :]
    loss = curves**2 * churned * after_event[:, None] + (1 - curves) ** 2 * survived * inverse_g
    return np.trapezoid(loss, times, axis=1) / (times[-1] - times[0])


def uno(train, test, risk, tau: float) -> float:
    from sksurv.metrics import concordance_index_ipcw

    return float(concordance_index_ipcw(target(*train), target(*test), risk, tau=tau)[0])


def dynamic_auc(train, test, risk, horizons) -> dict[int, float]:
    from sksurv.metrics import cumulative_dynamic_auc

    # Censored at the last horizon (nothing after it matters here): the censoring distribution
    # may reach zero at the longest durations, where scikit-survival would refuse.
    last = max(horizons) + 1.0
    test = np.minimum(test[0], last), np.asarray(test[1], bool) & (np.asarray(test[0]) <= last)
    aucs, _ = cumulative_dynamic_auc(target(*train), target(*test), risk, np.asarray(horizons))
    return {int(h): float(a) for h, a in zip(horizons, aucs, strict=True)}


def kaplan_meier(duration, event, days) -> np.ndarray:
    """The Kaplan-Meier survival of the customers at ``days`` (one value per day)."""
    from sksurv.nonparametric import kaplan_meier_estimator

    times, survival = kaplan_meier_estimator(np.asarray(event, bool), np.asarray(duration, float))
    index = np.searchsorted(times, np.asarray(days), side="right") - 1
    return np.where(index >= 0, survival[np.clip(index, 0, None)], 1.0)


def interval(values: np.ndarray, confidence: float = 0.95) -> list[float]:
    tail = (1 - confidence) / 2 * 100
    return [float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]


def bootstrap_draws(figures, n: int, resamples: int, seed: int) -> dict[str, np.ndarray]:
    """Each ``figures(weights)`` value on ``resamples`` resamples of the ``n`` customers."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(resamples):
        weight = np.bincount(rng.integers(0, n, n), minlength=n).astype("float64")
        for key, value in figures(weight).items():
            draws.setdefault(key, []).append(value)
    return {key: np.asarray(values) for key, values in draws.items()}


def bootstrap(figures, n: int, resamples: int, seed: int) -> dict[str, list[float]]:
    """95 % percentile intervals of each ``figures(weights)`` value over resampled customers."""
    return {key: interval(v) for key, v in bootstrap_draws(figures, n, resamples, seed).items()}


def km_losses(train, test, grid: np.ndarray) -> np.ndarray:
    """Per test customer: the integrated Brier loss of the training customers' Kaplan-Meier
    curve (the same curve for everybody: the baseline that knows nothing of the customer)."""
    km = kaplan_meier(*train, grid)
    return brier_losses(train, test, np.tile(km, (len(test[0]), 1)), grid)


def model_figures(model, train, test, p, window: int) -> dict:
    """A fitted survival model on the test customers (``(X, duration, event)`` each):
    Harrell's and Uno's concordance, the integrated Brier score on a weekly grid, the
    time-dependent AUC per horizon; with the risk, the per-customer Brier losses, the grid
    and the churn probability within the label ``window`` that the bootstrap reuses."""
    X, duration, event = test
    risk = model.risk(X)
    grid = np.arange(7, min(p.follow_up_days, int(duration.max())), 7, dtype="float64")
    curves_at = model.survival(X, grid)
    losses = brier_losses(train[1:], test[1:], curves_at, grid)
    tau = float(min(train[1].max(), duration.max()) - 1)
    figures = {
        "concordance": harrell(duration, event, risk),
        "uno_concordance": uno(train[1:], test[1:], risk, tau),
        "integrated_brier": float(losses.mean()),
    }
    for h, auc in dynamic_auc(train[1:], test[1:], risk, p.horizons_days).items():
        figures[f"auc_{h}d"] = auc
    p_window = 1.0 - model.survival(X, [window])[:, 0]
    return {"figures": figures, "risk": risk, "losses": losses, "grid": grid, "p": p_window}


def paired_figures(test, risk, oracle, losses, km_losses, label, p_churn, classifier):
    """The weighted figures the bootstrap resamples: concordance (and its gap to the oracle),
    integrated Brier (and its gain over Kaplan-Meier), the label-window AUC (and its gap to
    the classifier's)."""

    def figures(weight: np.ndarray) -> dict[str, float]:
        out = {
            "concordance": harrell(*test, risk, weight),
            "integrated_brier": float(np.average(losses, weights=weight)),
            "brier_gain_over_km": float(np.average(km_losses - losses, weights=weight)),
        }
        if oracle is not None:
            out["gap_to_oracle"] = harrell(*test, oracle, weight) - out["concordance"]
        if label is not None:
            out["window_auc"] = roc_auc_score(label, p_churn, sample_weight=weight)
            if classifier is not None:
                ref = roc_auc_score(label, classifier, sample_weight=weight)
                out["window_auc_minus_classifier"] = out["window_auc"] - ref
        return out

    return figures
