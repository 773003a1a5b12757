"""The evaluation on the held-out test customers: metrics, business figures, segments, plots.

Functions from labels and scores to the content of ``metrics/evaluate.json`` (threshold
metrics, KS, top-decile lift, bootstrap intervals, the Bayes-optimal ``oracle_roc_auc`` and
the gap to it on synthetic data, the business figures against the baselines) and
``metrics/segments.json``, and the writers of the evaluate stage's figures (CSV for
``dvc plots`` and a PNG of each) into a plots folder. The evaluate stage reads the inputs and
writes the files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from churnlab import io
from churnlab.config.params import BusinessParams, EvaluateParams
from churnlab.evaluation import business, plots
from churnlab.evaluation.segments import segment_columns, segment_metrics
from churnlab.metrics import (
    bootstrap_replicates,
    calibration_table,
    classification_metrics,
    intervals_from_replicates,
    paired_from_replicates,
    paired_replicates,
    ranking_summary,
    rounded,
)
from churnlab.modeling.registry import REGISTRY

# The lines of the gains and lift plots in dvc.yaml.
PLOTTED = ("model", "rules", "logreg")

# The figures the model card shows, in its order (the dependence plots are appended).
FIGURES = [
    ("ROC curve", "roc.png"),
    ("Precision-recall curve", "precision_recall.png"),
    ("Calibration", "calibration.png"),
    ("Confusion matrix", "confusion.png"),
    ("Cumulative gains", "gains.png"),
    ("Lift", "lift.png"),
    ("Expected net savings versus threshold", "profit.png"),
    ("Score distribution by class", "score_distribution.png"),
    ("Feature importance (SHAP)", "shap_importance.png"),
]


def oracle_figures(
    y: np.ndarray, scores: np.ndarray, oracle: np.ndarray, e: EvaluateParams, replicates=None
) -> dict:
    """Bayes-optimal ROC-AUC, the model's gap to it, and the gap's paired bootstrap interval.

    The oracle and the model score the same customers, so the interval (same resamples for
    both) shows whether a gap is the model's or the luck of the test draw. ``replicates``:
    :func:`churnlab.metrics.paired_replicates` of (oracle, scores) when already drawn.
    """
    if replicates is None:
        replicates = paired_replicates(y, oracle, scores, e.bootstrap_resamples, e.bootstrap_seed)
    paired = paired_from_replicates(y, oracle, scores, replicates)
    gap = paired["roc_auc"]
    oracle_roc_auc = float(roc_auc_score(y, oracle))
    return {
        "oracle_roc_auc": round(oracle_roc_auc, 6),
        "gap_to_oracle": round(gap["difference"], 6),
        "gap_to_oracle_ci": rounded({k: gap[k] for k in ("low", "high", "std")}),
    }


def holdout_metrics(
    y: np.ndarray, scores: np.ndarray, meta: dict, e: EvaluateParams, oracle=None
) -> dict:
    """The model's test metrics at the threshold train chose (``meta``: the model metadata),
    with bootstrap intervals, and the oracle figures when the true probabilities are known."""
    result = rounded(
        classification_metrics(y, scores, meta["threshold"]) | ranking_summary(y, scores)
    )
    result["model"] = meta["model"]
    result["threshold_method"] = meta.get("decision", {}).get("method", "max_f1")
    result["calibration"] = meta.get("calibration", {}).get("method", "none")
    if oracle is None:
        replicates = bootstrap_replicates(y, scores, e.bootstrap_resamples, e.bootstrap_seed)
    else:  # the model's replicates of the paired draw are its own (same seed): drawn once
        paired = paired_replicates(y, oracle, scores, e.bootstrap_resamples, e.bootstrap_seed)
        result |= oracle_figures(y, scores, oracle, e, paired)
        replicates = paired[1]
    ci = intervals_from_replicates(replicates, e.confidence)
    result["roc_auc_ci"], result["pr_auc_ci"] = rounded(ci["roc_auc"]), rounded(ci["pr_auc"])
    result["bootstrap"] = {
        "resamples": e.bootstrap_resamples,
        "seed": e.bootstrap_seed,
        "confidence": e.confidence,
    }
    return result


def usable_baselines(scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The baselines that rank the customers at all: today's rules give every customer the
    same score when the columns they read are not in the data (user tables), and a constant
    score is no baseline (ROC-AUC 0.5 by construction)."""
    return {name: s for name, s in scores.items() if np.ptp(np.asarray(s, dtype="float64")) > 0}


def business_summary(
    y: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    baseline_scores: dict[str, np.ndarray],
    baseline_thresholds: dict[str, float],
    b: BusinessParams,
) -> dict:
    """``baselines`` and ``business`` of ``metrics/evaluate.json``: what a campaign is worth
    with the model, and with the baselines (``baseline_scores``: the usable ones). The gain is
    measured against today's rules when they are a baseline, else the logistic regression
    (``extra_churners_caught_vs_rules`` or ``_vs_logreg``)."""
    baselines = business.baseline_summary(y, baseline_scores, baseline_thresholds, b)
    summary = {
        "at_threshold": rounded(business.at_threshold(y, scores, threshold, b)),
        "at_budget": rounded(business.at_budget(y, scores, b)),
        "break_even_probability": round(business.break_even_probability(b), 6),
    }
    reference = next((name for name in ("rules", "logreg") if name in baselines), None)
    if reference is not None:
        caught = baselines[reference]["at_budget"]["churners_caught"]
        summary[f"extra_churners_caught_vs_{reference}"] = round(
            summary["at_budget"]["churners_caught"] - caught, 6
        )
    return {"baselines": baselines, "business": summary}


def segment_summary(
    test: pd.DataFrame,
    y: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    e: EvaluateParams,
    skip_missing: bool,
    max_values: int = 8,
) -> dict:
    """``metrics/segments.json``: the metrics per value of each segment column, rounded
    (``max_values``: the most values of a segment found in user data)."""
    columns = segment_columns(test, e.segments, e.tenure_band_days, skip_missing, max_values)
    slices = segment_metrics(columns, y, scores, threshold)
    return {col: {v: rounded(m) for v, m in values.items()} for col, values in slices.items()}


def write_curve_figures(out: Path, y, scores, threshold: float, n_bins: int) -> None:
    """ROC, precision-recall, calibration and confusion matrix (CSV + PNG each)."""
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


def write_business_figures(
    out: Path, y, scores_by_model: dict, threshold: float, b: BusinessParams
) -> None:
    """Gains and lift (model against baselines), profit curve, score distribution."""
    gains, lift = business.gains_frames(y, scores_by_model)
    # dvc.yaml draws every line of PLOTTED: a baseline left out (today's rules on user data)
    # stays as an empty column, or `dvc plots show` drops the whole panel.
    extra = [c for c in gains.columns if c not in ("contacted_share", *PLOTTED)]
    columns = ["contacted_share", *PLOTTED, *extra]
    io.write_csv(gains.reindex(columns=columns), out / "gains.csv")
    io.write_csv(lift.reindex(columns=columns), out / "lift.csv")
    plots.gains_png(gains, out / "gains.png")
    plots.lift_png(lift, out / "lift.png")
    curve = business.profit_curve(y, scores_by_model["model"], b)
    io.write_csv(curve, out / "profit.csv")
    plots.profit_png(curve, threshold, business.break_even_probability(b), out / "profit.png")
    hist = plots.score_histogram(y, scores_by_model["model"])
    io.write_csv(hist, out / "score_distribution.csv")
    plots.score_distribution_png(hist, threshold, out / "score_distribution.png")


def write_model_importance(out: Path, model_name: str, model, features, top: int) -> None:
    """The model's own feature importance (gain, coefficients, ...) as ``feature_importance.png``,
    when the registry entry of ``model_name`` has one for ``model`` (the uncalibrated model)."""
    names = list(features.get_feature_names_out())
    importance = REGISTRY[model_name].importance(model, names)
    if not importance.empty:
        plots.importance_png(importance, top, out / "feature_importance.png")
