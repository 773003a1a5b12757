"""Stage cv@<model>: cross-validate one leaderboard candidate on the shared folds.

Writes ``metrics/cv/<model>.json``: per-fold ROC-AUC, PR-AUC, F1, fit and predict seconds,
and their mean and standard deviation. DVC runs one of these per model (a matrix stage in
``studies/dvc.yaml``), so changing one model's params re-runs only that model.
"""

from __future__ import annotations

import logging

from churnlab import io
from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.modeling.crossval import cross_validate, splits, summarize
from churnlab.modeling.inputs import load_folds, study_data
from churnlab.modeling.registry import spec_for

log = logging.getLogger(__name__)


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
