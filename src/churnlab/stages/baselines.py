"""Stage baselines: today's business rules and a logistic regression, on the same split.

Both are fitted on the train split (the logistic regression on the same featurized matrix as
the main model), get a threshold on validation the way train picks one, and score the test
customers. Evaluate compares the main model with them; keeping them in their own stage means
a baseline param change never retrains XGBoost, and an XGBoost change never refits these.
"""

from __future__ import annotations

import logging

import pandas as pd

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.modeling.inputs import inputs
from churnlab.modeling.registry import REGISTRY
from churnlab.modeling.thresholds import choose_threshold

log = logging.getLogger(__name__)

BASELINES = ("rules", "logreg")


def main(params: Params) -> None:
    p = params.train
    test = io.read_table(paths.SPLIT / "test.parquet", columns=["customer_key", TARGET])
    scores = pd.DataFrame({"customer_key": test["customer_key"]})
    thresholds = {}
    for name in BASELINES:
        spec = REGISTRY[name]
        X, y = inputs(params, "train", spec.uses_features)
        X_valid, y_valid = inputs(params, "valid", spec.uses_features)
        X_test, _ = inputs(params, "test", spec.uses_features)
        model = spec.fit(spec.make(p, y), X, y, X_valid, y_valid)
        valid_scores = model.predict_proba(X_valid)[:, 1]
        thresholds[name] = choose_threshold(y_valid, valid_scores, p.threshold, params.business)
        scores[name] = model.predict_proba(X_test)[:, 1]
        log.info("baseline %s fitted, threshold %.4f", name, thresholds[name])
    io.write_table(scores, paths.BASELINES / "test_scores.parquet")
    io.write_json(thresholds, paths.BASELINES / "thresholds.json")
