"""Stage cv@<model>: cross-validate one leaderboard candidate on the shared folds.

Writes ``metrics/cv/<model>.json``: per-fold ROC-AUC, PR-AUC, F1, fit and predict seconds,
and their mean and standard deviation. DVC runs one of these per model (a matrix stage in
``studies/dvc.yaml``), so changing one model's params re-runs only that model.
"""

from __future__ import annotations

import logging

import numpy as np

from churnlab import io, paths
from churnlab.cv import cross_validate, keys_digest, splits, summarize
from churnlab.errors import UserError
from churnlab.models import spec_for
from churnlab.params import Params
from churnlab.stages.train import inputs

log = logging.getLogger(__name__)


def load_folds() -> tuple[str, np.ndarray]:
    folds = io.read_json(paths.FOLDS)
    keys = io.read_table(paths.SPLIT / "train.parquet", columns=["customer_key"])["customer_key"]
    if folds["customer_keys_sha256"] != keys_digest(keys):
        raise UserError(f"{paths.FOLDS} belongs to another train split: re-run the folds stage")
    return folds["scheme"], np.asarray(folds["fold"])


def study_data(params: Params, model: str) -> tuple:
    spec = spec_for(model)
    X, y = inputs(params, "train", spec.uses_features)
    X_valid, y_valid = inputs(params, "valid", spec.uses_features)
    return X, y, X_valid, y_valid


def run(params: Params, model: str) -> dict:
    spec_for(model, "cv model")
    scheme, fold = load_folds()
    data = study_data(params, model)
    fold_splits = list(splits(scheme, fold))
    results = cross_validate(model, params.train, data, fold_splits, n_jobs=params.cv.n_jobs)
    out = {
        "model": model,
        "scheme": scheme,
        "folds": [{k: round(float(v), 6) for k, v in r.items()} for r in results],
        **summarize(results),
    }
    io.write_json(out, paths.CV_METRICS / f"{model}.json")
    log.info("%s: ROC-AUC %.4f ± %.4f", model, out["roc_auc"]["mean"], out["roc_auc"]["std"])
    return out
