"""The uplift stage's pure core: fit and choose the learners, then figures, curves and policy.

:func:`fit_learners` fits each candidate on train (valid for early stopping) and scores it on
valid; :func:`choose` picks the best Qini there (or the configured learner). :func:`headline`
gives the test figures with bootstrap intervals (and, with the true effects of synthetic data,
the oracle's figures on the same resamples); :func:`curves` and :func:`deciles` the plot
tables. Everything takes and returns arrays and frames; the stage does the files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from churnlab.uplift import metrics
from churnlab.uplift.learners import LEARNERS, SHARE_ARMS

log = logging.getLogger(__name__)
GRID = np.linspace(0, 1, 101)


@dataclass(frozen=True)
class Campaign:
    """One split of a past campaign: features, churn label, offer, propensity, true uplift."""

    X: pd.DataFrame
    churned: np.ndarray
    treatment: np.ndarray
    propensity: np.ndarray
    true_uplift: np.ndarray | None = None
    keys: np.ndarray | None = None  # customer keys (the cross-validation folds hash them)

    @property
    def stayed(self) -> np.ndarray:
        return 1 - np.asarray(self.churned)

    def take(self, rows: np.ndarray) -> Campaign:
        """The campaign of the given row positions."""
        arrays = (self.churned, self.treatment, self.propensity, self.true_uplift, self.keys)
        return Campaign(
            self.X.iloc[rows].reset_index(drop=True),
            *(None if a is None else np.asarray(a)[rows] for a in arrays),
        )


def fit_learners(names, base, train: Campaign, valid: Campaign, seed: int) -> dict:
    """Each named learner fitted on train; early stopping of the base model on valid.

    The T-, X- and DR-learners share one pair of per-arm outcome models (fitted once).
    """
    fitted, arms = {}, None
    for name in names:
        learner = LEARNERS[name](base=clone(base))
        if "seed" in learner.get_params():
            learner.set_params(seed=seed)
        extra = {"arms": arms} if name in SHARE_ARMS else {}
        fitted[name] = learner.fit(
            train.X,
            train.churned,
            train.treatment,
            train.propensity,
            valid=(valid.X, valid.churned, valid.treatment),
            **extra,
        )
        if name in SHARE_ARMS and hasattr(learner, "treated_"):
            arms = (learner.control_, learner.treated_)
        log.info("fitted the %s-learner", name)
    return fitted


def predict_all(fitted: dict, X) -> dict[str, np.ndarray]:
    """Every fitted learner's uplift of the rows ``X`` (computed once, read by every rule)."""
    return {name: model.predict(X) for name, model in fitted.items()}


def choose(on_valid: dict, valid: Campaign, learner: str) -> tuple[str, dict[str, float]]:
    """The learner to use (the best validation Qini for ``auto``) and every validation Qini,
    from each learner's uplift of the validation customers (``on_valid``, :func:`predict_all`)."""
    qini = {
        name: metrics.qini_coefficient(valid.stayed, score, valid.treatment)
        for name, score in on_valid.items()
    }
    if learner == "auto":
        learner = max(qini, key=lambda name: (qini[name], name))
    return learner, qini


def headline(score, test: Campaign, resamples: int, seed: int, confidence: float) -> dict:
    """Test figures of ``score`` with intervals; oracle figures when the truth is known."""
    y, t = test.stayed, test.treatment
    out = metrics.summary(y, score, t)
    oracle = test.true_uplift

    def statistic(rows):
        figures = metrics.summary(y[rows], score[rows], t[rows])
        if oracle is not None:
            best = metrics.qini_coefficient(y[rows], oracle[rows], t[rows])
            figures["oracle_qini"] = best
            figures["qini_share_of_oracle"] = figures["qini"] / best
        return figures

    if oracle is not None:
        out["oracle_qini"] = metrics.qini_coefficient(y, oracle, t)
        out["oracle_auuc"] = metrics.auuc(y, oracle, t)
        out["qini_share_of_oracle"] = out["qini"] / out["oracle_qini"]
        out["true_effect_correlation"] = float(np.corrcoef(score, oracle)[0, 1])
    out["intervals"] = metrics.bootstrap(statistic, len(y), resamples, seed, confidence)
    return out


def curves(scores: dict[str, np.ndarray], test: Campaign) -> dict[str, pd.DataFrame]:
    """Qini and uplift curves of each score on a grid of contacted shares, with the random
    line (straight from the origin to the end of the curve)."""
    out = {}
    for kind, curve in (("qini", metrics.qini_curve), ("uplift", metrics.uplift_curve)):
        table = {"contacted_share": GRID}
        for name, score in scores.items():
            k, value = curve(test.stayed, score, test.treatment)
            table[name] = np.interp(GRID, k / k[-1], value)
        table["random"] = GRID * table[next(iter(scores))][-1]
        out[kind] = pd.DataFrame(table).round(6)
    return out


def deciles(score, test: Campaign) -> pd.DataFrame:
    """Observed uplift (treated minus control retention) per decile of estimated uplift."""
    order = np.argsort(-score, kind="mergesort")
    decile = np.empty(len(score), dtype=int)
    decile[order] = np.arange(len(score)) * 10 // len(score) + 1
    frame = pd.DataFrame(
        {"decile": decile, "stayed": test.stayed, "t": test.treatment, "estimated": score}
    )
    if test.true_uplift is not None:
        frame["true"] = test.true_uplift
    rows = []
    for d, group in frame.groupby("decile"):
        treated, control = group[group["t"] == 1], group[group["t"] == 0]
        row = {
            "decile": int(d),
            "observed_uplift": treated["stayed"].mean() - control["stayed"].mean(),
            "estimated_uplift": group["estimated"].mean(),
        }
        if "true" in group:
            row["true_uplift"] = group["true"].mean()
        rows.append(row)
    return pd.DataFrame(rows).round(6)
