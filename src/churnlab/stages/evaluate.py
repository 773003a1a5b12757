"""Stage evaluate: score the test split with the saved inference pipeline.

Writes ``metrics/evaluate.json`` (threshold chosen on validation by train; the Bayes-optimal
``oracle_roc_auc`` when the data is synthetic), plot data under ``plots/`` for ``dvc plots``,
and PNG images of the same plots plus the feature importance.
"""

from __future__ import annotations

import logging

import pandas as pd

from churnlab import io, package, paths, plots
from churnlab.features import feature_frame
from churnlab.metrics import calibration_table, classification_metrics, rounded
from churnlab.models import REGISTRY
from churnlab.params import Params
from churnlab.snapshot import TARGET

log = logging.getLogger(__name__)


def oracle_auc(test: pd.DataFrame) -> float | None:
    """ROC-AUC of the true churn probability on the test customers (synthetic data only)."""
    from sklearn.metrics import roc_auc_score

    if not paths.TRUTH.exists():
        return None
    truth = io.read_table(paths.TRUTH).set_index("customer_key")["churn_probability"]
    if truth.empty:  # user data: prepare writes an empty truth table
        return None
    return float(roc_auc_score(test[TARGET], truth.loc[test["customer_key"]].to_numpy()))


def write_plots(y, scores, threshold: float, n_bins: int) -> None:
    out = paths.PLOTS
    roc, pr = plots.roc_frame(y, scores), plots.pr_frame(y, scores)
    calibration = pd.DataFrame(calibration_table(y, scores, n_bins))
    predicted = (scores >= threshold).astype(int)
    io.write_csv(roc, out / "roc.csv")
    io.write_csv(pr, out / "precision_recall.csv")
    io.write_csv(calibration, out / "calibration.csv")
    io.write_csv(plots.confusion_frame(y, predicted), out / "confusion.csv")
    plots.curve_png(
        roc, "fpr", "tpr", "ROC curve (test)", "model", out / "roc.png", diagonal="chance"
    )
    plots.curve_png(
        pr,
        "recall",
        "precision",
        "Precision-recall curve (test)",
        "model",
        out / "precision_recall.png",
    )
    plots.curve_png(
        calibration,
        "mean_predicted",
        "observed_rate",
        "Calibration (test)",
        "model",
        out / "calibration.png",
        diagonal="perfect calibration",
    )
    plots.confusion_png(y, predicted, out / "confusion.png")


def main(params: Params) -> None:
    pipeline = package.load(paths.PIPELINE)
    meta = io.read_json(paths.MODEL_META)
    test = io.read_table(paths.SPLIT / "test.parquet")
    y = test[TARGET].to_numpy()
    scores = pipeline.predict_proba(feature_frame(test))[:, 1]
    result = rounded(classification_metrics(y, scores, meta["threshold"]))
    result["model"] = meta["model"]
    oracle = oracle_auc(test)
    if oracle is not None:
        result["oracle_roc_auc"] = round(oracle, 6)
        result["gap_to_oracle"] = round(oracle - result["roc_auc"], 6)
    io.write_json(result, paths.METRICS / "evaluate.json")
    write_plots(y, scores, meta["threshold"], params.evaluate.calibration_bins)
    model = pipeline.named_steps["model"]
    if "features" in pipeline.named_steps:
        names = list(pipeline.named_steps["features"].get_feature_names_out())
        importance = REGISTRY[meta["model"]].importance(model, names)
        plots.importance_png(
            importance, params.evaluate.top_features, paths.PLOTS / "feature_importance.png"
        )
    log.info("test ROC-AUC %.4f (oracle %s)", result["roc_auc"], result.get("oracle_roc_auc"))
