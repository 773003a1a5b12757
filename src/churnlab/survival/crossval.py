"""Survival models cross-validated on the folds the classifiers use.

The folds stage of the studies (:mod:`churnlab.stages.folds`) gives every train customer a
fold with :func:`churnlab.modeling.crossval.assign_folds` from ``cv.folds``, ``cv.seed`` and
the train split's labels (time-ordered blocks when ``split.method`` is ``time``);
:func:`classifier_folds` calls it the same way on the same rows, so a customer is held out
with the same others as in the classifiers' cross-validation (tested against the folds stage).
Each fold trains the model on the other folds (boosted models stop early on the validation
split, as the classifiers do) and scores the held-out customers: Harrell's concordance, the
integrated Brier score and Kaplan-Meier's on the same customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.modeling.crossval import assign_folds, splits
from churnlab.survival import scoring
from churnlab.survival.models import fit_model


def classifier_folds(train: pd.DataFrame, params: Params) -> tuple[str, pd.Series]:
    """(scheme, fold of each train customer by ``customer_key``) as the folds stage assigns
    them to the whole train split."""
    order = None
    if params.split.method == "time":
        order = np.argsort(train[params.split.time_column].to_numpy(), kind="stable")
    scheme, fold = assign_folds(train[TARGET].to_numpy(), params.cv.folds, params.cv.seed, order)
    return scheme, pd.Series(fold, index=train["customer_key"].to_numpy())


def _rows(data: tuple, rows: np.ndarray) -> tuple:
    X, duration, event = data
    return X.iloc[rows], duration[rows], event[rows]


def fold_figures(model, train: tuple, held_out: tuple, follow_up_days: int) -> dict[str, float]:
    """Concordance and integrated Brier score (with Kaplan-Meier's) on held-out customers."""
    X, duration, event = held_out
    grid = np.arange(7, min(follow_up_days, int(duration.max())), 7, dtype="float64")
    losses = scoring.brier_losses(train[1:], held_out[1:], model.survival(X, grid), grid)
    km = scoring.km_losses(train[1:], held_out[1:], grid)
    return {
        "concordance": scoring.harrell(duration, event, model.risk(X)),
        "integrated_brier": float(losses.mean()),
        "km_integrated_brier": float(km.mean()),
    }


def cross_validate(
    name: str, params: Params, train: tuple, valid: tuple, scheme: str, fold: np.ndarray
) -> dict:
    """Per-fold figures of the survival model ``name`` on the train customers' ``fold``
    numbers (a row's fold, -1 = never held out), with their mean and standard deviation."""
    p = params.survival
    follow_up = p.follow_up_days if params.data.source == "synthetic" else int(train[1].max())
    results = []
    for fit_rows, held_rows in splits(scheme, np.asarray(fold)):
        fold_train = _rows(train, fit_rows)
        model = fit_model(name, p, fold_train, valid)
        results.append(fold_figures(model, fold_train, _rows(train, held_rows), follow_up))
    out = {"folds": [{k: round(v, 6) for k, v in r.items()} for r in results]}
    for key in results[0]:
        values = np.array([r[key] for r in results])
        out[key] = {"mean": float(values.mean()), "std": float(values.std(ddof=1))}
    return out
