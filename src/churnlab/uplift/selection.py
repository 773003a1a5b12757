"""Choosing the uplift learner by K-fold cross-validated Qini on the train split.

The validation split holds a few hundred treated customers, too few to tell learners apart:
the learner with the best validation Qini changed from one split seed to the next. Here every
candidate is fitted K times on train less one fold (the base model still early-stopped on the
validation split, never on the held-out fold, as :mod:`churnlab.modeling.crossval` does) and
scored by the Qini coefficient of its held-out fold; the candidate with the best mean over the
folds is kept. The folds are a pure function of the customer key, the stratum (treatment ×
label) and the seed: within each stratum customers are ranked by the project's seeded key hash
(:func:`churnlab.data.splitting.split_hash`) and dealt to the folds in turn, so every stratum
is spread evenly and a customer keeps its fold whatever the row order.

``average`` is one more candidate: the mean uplift of the ``top`` single learners with the best
cross-validated Qini, scored on the same folds (the members are picked on those folds too, so
its figure is slightly optimistic; it competes as a candidate, not as a correction).

:func:`preferred` is the validation rule with a default: the preferred learner is kept unless
another candidate's validation Qini beats it by more than the noise of a few hundred treated
customers (a paired bootstrap interval of the difference above zero).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from churnlab.data.splitting import split_hash
from churnlab.errors import UserError
from churnlab.uplift import metrics

log = logging.getLogger(__name__)

AVERAGE = "average"


def assign_folds(keys, churned, treatment, folds: int, seed: int) -> np.ndarray:
    """The fold (0 … folds-1) of every row, stratified by treatment × label."""
    keys = pd.Series(np.asarray(keys)).astype(str)
    stratum = 2 * np.asarray(treatment, dtype=int) + np.asarray(churned, dtype=int)
    ranked = pd.DataFrame({"stratum": stratum, "h": split_hash(keys, seed), "key": keys})
    ranked = ranked.sort_values(["stratum", "h", "key"], kind="stable")
    fold = np.empty(len(ranked), dtype=int)
    fold[ranked.index.to_numpy()] = ranked.groupby("stratum").cumcount().to_numpy() % folds
    return fold


class AverageLearner(BaseEstimator):
    """The mean uplift of fitted learners (the ``average`` candidate)."""

    def __init__(self, learners=None):
        self.learners = learners

    def fit(self, *args, **kwargs):  # the members come fitted
        self.n_members_ = len(self.learners)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return np.mean([learner.predict(X) for learner in self.learners], axis=0)


def _summary(values: list[float]) -> dict:
    values = np.asarray(values, dtype="float64")
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return {"mean": float(values.mean()), "std": std, "folds": values.round(6).tolist()}


def cross_validate(fit, names, train, folds: int, seed: int, top: int = 0) -> dict[str, dict]:
    """Per candidate: the Qini of each held-out fold, their mean and s.d.; with ``top`` > 1
    also the ``average`` of the best ``top`` learners (its ``members`` listed).

    ``fit(names, campaign)`` fits the named learners on a part of train (the stage's
    :func:`churnlab.uplift.report.fit_learners`, valid split bound in); ``train`` is a
    :class:`~churnlab.uplift.report.Campaign` with customer keys (row numbers if none).
    """
    keys = train.keys if train.keys is not None else np.arange(len(train.churned))
    fold = assign_folds(keys, train.churned, train.treatment, folds, seed)
    held_out_scores = []  # per fold: (held-out campaign, {name: uplift})
    for number in range(folds):
        held_out = train.take(np.flatnonzero(fold == number))
        if len(np.unique(held_out.treatment)) < 2:
            raise UserError(
                f"uplift.cv_folds: fold {number} of the train split has no "
                f"{'control' if held_out.treatment.all() else 'treated'} customer; "
                "use fewer folds"
            )
        fitted = fit(names, train.take(np.flatnonzero(fold != number)))
        held_out_scores.append((held_out, {n: m.predict(held_out.X) for n, m in fitted.items()}))
        log.info("uplift cross-validation: fold %d of %d", number + 1, folds)

    def qini(score_of) -> list[float]:
        return [
            metrics.qini_coefficient(part.stayed, score_of(scores), part.treatment)
            for part, scores in held_out_scores
        ]

    out = {name: _summary(qini(lambda scores, n=name: scores[n])) for name in names}
    if top > 1 and len(names) > 1:
        members = sorted(names, key=lambda n: (-out[n]["mean"], n))[:top]
        average = qini(lambda scores: np.mean([scores[n] for n in members], axis=0))
        out[AVERAGE] = _summary(average) | {"members": members}
    return out


def best(cv: dict[str, dict]) -> str:
    """The candidate with the best mean cross-validated Qini (ties: the later name)."""
    return max(cv, key=lambda name: (cv[name]["mean"], name))


def preferred(
    stayed, treatment, scores: dict, prefer: str, resamples: int, seed: int, confidence: float
) -> tuple[str, dict[str, dict]]:
    """``prefer`` unless another candidate's validation Qini is better with the paired
    bootstrap interval of the difference above zero (then the best such candidate); and each
    candidate's difference from ``prefer`` (value and interval).

    ``scores`` are the candidates' uplifts on the validation customers (``stayed``,
    ``treatment``); every difference is computed on the same resamples of those customers.
    """
    y, t = np.asarray(stayed), np.asarray(treatment)
    others = [name for name in scores if name != prefer]
    if not others:
        return prefer, {}

    def differences(rows) -> dict[str, float]:
        base = metrics.qini_coefficient(y[rows], scores[prefer][rows], t[rows])
        return {
            n: metrics.qini_coefficient(y[rows], scores[n][rows], t[rows]) - base for n in others
        }

    whole = differences(np.arange(len(y)))
    bounds = metrics.bootstrap(differences, len(y), resamples, seed, confidence)
    out = {n: {"value": whole[n]} | {k: bounds[n][k] for k in ("low", "high")} for n in others}
    better = [n for n in others if out[n]["low"] > 0]
    return (max(better, key=lambda n: (whole[n], n)) if better else prefer), out
