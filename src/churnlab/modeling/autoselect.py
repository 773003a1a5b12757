"""Selection on the user's data inside the train stage, within a time budget (issue 13).

With ``train.select`` on (``auto``: user data, not the synthetic demo), ``train`` runs
``train.model`` and then each of ``train.candidates`` through the first two steps of
:mod:`churnlab.modeling.refit` (early stopping on valid, out-of-fold scores over
train+valid) and keeps the one with the best out-of-fold ROC-AUC; only that one is refitted
on train+valid, and its out-of-fold scores are the ones calibration and the threshold use.
``train.model`` always runs; a candidate is skipped when the time already spent reaches
``train.time_budget_s`` (0: :func:`default_budget_s` of the rows). Every candidate's score and
seconds, the skipped ones and the reason of the choice go to ``metrics/train.json:selection``.

Choosing on the same out-of-fold scores that then calibrate flatters the chosen model's
out-of-fold ROC-AUC by the selection (a few thousandths with four candidates); the test split
is never read, so ``metrics/evaluate.json`` stays honest.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from churnlab import progress
from churnlab.config.params import Params
from churnlab.modeling import refit
from churnlab.modeling.registry import model_for

log = logging.getLogger(__name__)

# A candidate must beat the best so far by this much to replace it: among near-equals the
# earlier one (``train.model`` first, then the order of ``train.candidates``) is kept.
MIN_GAIN = 0.001


def applies(params: Params) -> bool:
    select = params.train.select
    return select == "always" or (select == "auto" and params.data.source != "synthetic")


def default_budget_s(rows: int) -> float:
    """60 s, plus 1 s per 1 000 train+valid rows above 20 000, at most 600 s."""
    return float(min(600.0, 60.0 + max(0, rows - 20_000) / 1000.0))


def fit_selected(params: Params, X, y, X_valid, y_valid):
    """(chosen model name, (early model, final model, out-of-fold results), summary extra)."""
    p = params.train
    folds = p.refit_folds
    first = model_for(p, len(y) + len(y_valid))
    if not applies(params):
        return first, refit.refit(first, p, X, y, X_valid, y_valid, folds), {}
    y_all = np.concatenate([np.asarray(y), np.asarray(y_valid)])
    budget = p.time_budget_s or default_budget_s(len(y_all))
    names = list(dict.fromkeys([first, *p.candidates]))
    board: dict[str, dict] = {}
    best = None  # (name, roc_auc, early, oof)
    start = time.perf_counter()
    for name in progress.bar(names, desc="model selection", unit="model"):
        spent = time.perf_counter() - start
        if best is not None and spent >= budget:
            board[name] = {"skipped": f"time budget: {spent:.0f} s of {budget:.0f} s spent"}
            continue
        early, oof = refit.cross_fit(name, p, X, y, X_valid, y_valid, folds)
        auc = float(roc_auc_score(y_all, oof.scores))
        board[name] = {
            "oof_roc_auc": round(auc, 6),
            "seconds": round(time.perf_counter() - start - spent, 2),
        }
        log.info("candidate %s: out-of-fold ROC-AUC %.4f", name, auc)
        if best is None or auc > best[1] + MIN_GAIN:
            best = (name, auc, early, oof)
    name, auc, early, oof = best
    final = refit.final_fit(name, p, X, y, X_valid, y_valid, oof.rounds)
    tried = {n: r["oof_roc_auc"] for n, r in board.items() if "oof_roc_auc" in r}
    selection = {
        "chosen": name,
        "reason": f"best out-of-fold ROC-AUC over train+valid ({auc:.4f}) of {len(tried)} "
        f"tried; a later candidate must gain {MIN_GAIN} to replace an earlier one",
        "time_budget_s": round(budget, 1),
        "candidates": board,
        "skipped": sorted(n for n, r in board.items() if "skipped" in r),
        "seconds": round(time.perf_counter() - start, 2),
    }
    return name, (early, final, oof), {"selection": selection}
