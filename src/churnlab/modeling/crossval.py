"""Cross-validation on the train split, with the same folds for every model.

:func:`assign_folds` gives every train customer a fold number once (``data/studies/folds.json``);
every candidate of the leaderboard reads that file, so all of them are scored on exactly the
same held-out customers. Stratified shuffled k-fold by default; when the split is by time
(``split.method: time``) the folds are consecutive blocks in time order and each fold trains
only on the blocks before it (forward chaining, as ``TimeSeriesSplit``), so no model is scored
on customers older than the ones it learnt from.

Boosted models stop early on the validation split (never on the held-out fold). F1 is taken
at the threshold that maximises F1 on the validation split, then applied to the held-out fold.
EMPC (:mod:`churnlab.evaluation.profit`) is scored on the held-out fold with the paper's
campaign parameters.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.model_selection import StratifiedKFold, TimeSeriesSplit

from churnlab.config.params import TrainParams
from churnlab.errors import UserError
from churnlab.evaluation.profit import empc
from churnlab.metrics import max_f1_threshold
from churnlab.modeling.registry import REGISTRY, spec_for

METRICS = ("roc_auc", "pr_auc", "f1", "empc", "fit_s", "predict_s")


def keys_digest(keys: pd.Series) -> str:
    return hashlib.sha256("\n".join(map(str, keys)).encode("utf-8")).hexdigest()


def assign_folds(y: np.ndarray, folds: int, seed: int, time_order: np.ndarray | None = None):
    """(scheme, fold number per row). Time folds: block 0 is only ever trained on (-1)."""
    y = np.asarray(y)
    fold = np.full(len(y), -1, dtype=int)
    if time_order is None:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for number, (_, held_out) in enumerate(splitter.split(np.zeros(len(y)), y)):
            fold[held_out] = number
        return "stratified", fold
    for number, (_, held_out) in enumerate(TimeSeriesSplit(n_splits=folds).split(time_order)):
        fold[np.asarray(time_order)[held_out]] = number
    return "time", fold


def splits(scheme: str, fold: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(training rows, held-out rows) of each fold, in fold order."""
    fold = np.asarray(fold)
    for number in range(int(fold.max()) + 1):
        held_out = np.flatnonzero(fold == number)
        if scheme == "time":
            train = np.flatnonzero(fold < number)
        else:
            train = np.flatnonzero(fold != number)
        yield train, held_out


def _rows(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def score_fold(name: str, p: TrainParams, X, y, X_valid, y_valid, train, held_out) -> dict:
    """Fit ``name`` on the fold's training rows and score its held-out rows."""
    spec = spec_for(name)
    y_train = y[train]
    if len(np.unique(y_train)) < 2 or len(np.unique(y[held_out])) < 2:
        raise UserError(
            f"cv: a fold of the train split has a single class ({name}); use fewer "
            "cv.folds or more customers"
        )
    start = time.perf_counter()
    model = spec.fit(spec.make(p, y_train), _rows(X, train), y_train, X_valid, y_valid)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    scores = model.predict_proba(_rows(X, held_out))[:, 1]
    predict_s = time.perf_counter() - start
    threshold = max_f1_threshold(y_valid, model.predict_proba(X_valid)[:, 1])
    y_held = y[held_out]
    return {
        "roc_auc": skm.roc_auc_score(y_held, scores),
        "pr_auc": skm.average_precision_score(y_held, scores),
        "f1": skm.f1_score(y_held, (scores >= threshold).astype(int), zero_division=0),
        "empc": empc(y_held, scores),
        "fit_s": fit_s,
        "predict_s": predict_s,
        "n_train": len(train),
        "n_held_out": len(held_out),
    }


def single_threaded(p: TrainParams) -> TrainParams:
    """The same params with every model on one thread (folds run in parallel instead): each
    registry entry's ``single_threaded`` update of its section."""
    update = {
        spec.name: spec.section(p).model_copy(update=spec.single_threaded)
        for spec in REGISTRY.values()
        if spec.single_threaded
    }
    return p.model_copy(update=update)


def cross_validate(
    name: str,
    p: TrainParams,
    data: tuple,
    fold_splits: list[tuple[np.ndarray, np.ndarray]],
    after_fold: Callable[[int, list[dict]], None] | None = None,
    n_jobs: int = 1,
) -> list[dict]:
    """Per-fold results; ``after_fold(i, results)`` may stop early by raising (pruning).

    With ``n_jobs > 1`` the folds run ``n_jobs`` at a time in worker processes, each model
    single-threaded: on a shared machine that degrades gracefully, where multi-threaded
    boosting (OpenMP) slows down many times over when the cores are busy. ``after_fold`` is
    then called in fold order after each batch. The results do not depend on ``n_jobs``
    except through the models' own threading (identical for all models here but LightGBM's
    and XGBoost's histogram sums, which may differ in the last bits).
    """
    X, y, X_valid, y_valid = data
    results: list[dict] = []
    if n_jobs > 1:
        from joblib import Parallel, delayed

        p = single_threaded(p)
        pool = Parallel(n_jobs=n_jobs)
    for start in range(0, len(fold_splits), max(n_jobs, 1)):
        batch = fold_splits[start : start + max(n_jobs, 1)]
        if n_jobs > 1:
            jobs = (delayed(score_fold)(name, p, X, y, X_valid, y_valid, *f) for f in batch)
            results.extend(pool(jobs))
        else:
            results.extend(score_fold(name, p, X, y, X_valid, y_valid, *f) for f in batch)
        if after_fold is not None:
            for number in range(start, start + len(batch)):
                after_fold(number, results[: number + 1])
    return results


def summarize(results: list[dict]) -> dict:
    """Mean and standard deviation (ddof=1, across folds) of every metric."""
    out = {}
    for metric in METRICS:
        values = np.array([r[metric] for r in results], dtype="float64")
        std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        out[metric] = {"mean": round(float(values.mean()), 6), "std": round(std, 6)}
    return out
