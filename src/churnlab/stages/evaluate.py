"""Stage evaluate: score the test split with the saved inference pipeline and report.

Writes ``metrics/evaluate.json`` (threshold chosen on validation by train; KS, top-decile lift,
bootstrap intervals, business figures, the baselines; the Bayes-optimal ``oracle_roc_auc``
and the model's gap to it with a paired bootstrap interval when the data is synthetic),
``metrics/segments.json`` (the same metrics per slice), plot data under ``plots/`` for
``dvc plots`` with a PNG of each, and ``reports/`` (model card, the highest-risk customers
and their reasons).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import EvaluateParams, Params
from churnlab.evaluation import business, explain, model_card, plots
from churnlab.evaluation import eval_plots as ep
from churnlab.evaluation.segments import segment_columns, segment_metrics
from churnlab.features import feature_frame
from churnlab.metrics import (
    bootstrap_intervals,
    calibration_table,
    classification_metrics,
    paired_bootstrap,
    ranking_summary,
    rounded,
)
from churnlab.modeling.registry import REGISTRY, base_estimator

log = logging.getLogger(__name__)

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


def oracle_probability(test: pd.DataFrame) -> np.ndarray | None:
    """The true churn probability of each test customer (synthetic data only)."""
    if not paths.TRUTH.exists():
        return None
    truth = io.read_table(paths.TRUTH).set_index("customer_key")["churn_probability"]
    if truth.empty:  # user data: prepare writes an empty truth table
        return None
    return truth.loc[test["customer_key"]].to_numpy()


def oracle_figures(
    y: np.ndarray, scores: np.ndarray, oracle: np.ndarray, e: EvaluateParams
) -> dict:
    """Bayes-optimal ROC-AUC, the model's gap to it, and the gap's paired bootstrap interval.

    The oracle and the model score the same customers, so the interval (same resamples for
    both) shows whether a gap is the model's or the luck of the test draw.
    """
    paired = paired_bootstrap(y, oracle, scores, e.bootstrap_resamples, e.bootstrap_seed)
    gap = paired["roc_auc"]
    oracle_roc_auc = float(roc_auc_score(y, oracle))
    return {
        "oracle_roc_auc": round(oracle_roc_auc, 6),
        "gap_to_oracle": round(gap["difference"], 6),
        "gap_to_oracle_ci": rounded({k: gap[k] for k in ("low", "high", "std")}),
    }


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


def business_plots(y, scores_by_model: dict, threshold: float, b) -> None:
    out = paths.PLOTS
    gains, lift = business.gains_frames(y, scores_by_model)
    io.write_csv(gains, out / "gains.csv")
    io.write_csv(lift, out / "lift.csv")
    ep.gains_png(gains, out / "gains.png")
    ep.lift_png(lift, out / "lift.png")
    curve = business.profit_curve(y, scores_by_model["model"], b)
    io.write_csv(curve, out / "profit.csv")
    ep.profit_png(curve, threshold, business.break_even_probability(b), out / "profit.png")
    hist = ep.score_histogram(y, scores_by_model["model"])
    io.write_csv(hist, out / "score_distribution.csv")
    ep.score_distribution_png(hist, threshold, out / "score_distribution.png")


def explained_rows(n: int, limit: int, seed: int) -> np.ndarray:
    """Positions of the test customers whose SHAP values feed the global plots: all of them,
    or a seeded sample of ``limit`` (sorted) when there are more."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def explanations(pipeline, test: pd.DataFrame, scores, params: Params) -> list[str]:
    """SHAP importance and dependence plots, and the highest-risk customers' top reasons."""
    e = params.evaluate
    frame = feature_frame(test)
    sample = explained_rows(len(frame), e.explain_rows, e.explain_seed)
    top = np.argsort(-scores, kind="stable")[: e.top_customers]
    rows = np.union1d(sample, top)  # the top-risk customers always get their reasons
    log.info("SHAP values for %d of %d test customers", len(rows), len(frame))
    steps = pipeline.named_steps
    transformed = steps["features"].transform(frame.iloc[rows]) if "features" in steps else None
    X = transformed if transformed is not None else frame.iloc[rows]
    contribs_rows, _ = explain.model_contributions(steps["model"], X)
    contribs = contribs_rows.iloc[np.searchsorted(rows, sample)]
    importance = explain.global_importance(contribs, e.top_features)
    io.write_csv(
        importance[["feature", "mean_abs_contribution"]], paths.PLOTS / "shap_importance.csv"
    )
    model_name = type(base_estimator(steps["model"])).__name__
    ep.shap_importance_png(
        importance,
        f"Feature importance: mean |SHAP| ({model_name}, test)",
        paths.PLOTS / "shap_importance.png",
    )
    sample_frame = frame.iloc[sample]
    sample_transformed = (
        transformed.iloc[np.searchsorted(rows, sample)] if transformed is not None else None
    )
    written = []
    folder = paths.PLOTS / "dependence"
    for stale in folder.glob("dependence_*"):
        stale.unlink()  # fewer top features than last run: drop the old ones
    for rank, column in enumerate(importance["column"].head(e.dependence_features), start=1):
        dep = explain.dependence(contribs, column, sample_frame, sample_transformed)
        if dep["value"].isna().all():
            continue
        name = f"dependence_{rank}"
        io.write_csv(dep, folder / f"{name}.csv")
        ep.dependence_png(dep, explain.label(column), folder / f"{name}.png")
        written.append((f"Dependence: {explain.label(column)}", f"dependence/{name}.png"))
    named = contribs_rows.iloc[np.searchsorted(rows, top)].rename(columns=explain.label)
    reasons = explain.top_reasons(named, e.reasons_per_customer)
    table = pd.DataFrame(
        {
            "rank": np.arange(1, len(top) + 1),
            "customer_key": test["customer_key"].to_numpy()[top],
            "churn_score": np.round(scores[top], 6),
            "churned": test[TARGET].to_numpy()[top].astype(int),
            "reasons": [explain.reasons_text(r) for r in reasons],
        }
    )
    io.write_csv(table, paths.REPORTS / "top_risk_customers.csv")
    io.write_text(model_card.top_risk_table(table), paths.REPORTS / "top_risk_customers.md")
    return written


def main(params: Params) -> None:
    e, b = params.evaluate, params.business
    pipeline = package.load(paths.PIPELINE)
    meta = io.read_json(paths.MODEL_META)
    test = io.read_table(paths.SPLIT / "test.parquet")
    y = test[TARGET].to_numpy()
    scores = pipeline.predict_proba(feature_frame(test))[:, 1]
    threshold = meta["threshold"]
    result = rounded(classification_metrics(y, scores, threshold) | ranking_summary(y, scores))
    result["model"] = meta["model"]
    result["threshold_method"] = meta.get("decision", {}).get("method", "max_f1")
    result["calibration"] = meta.get("calibration", {}).get("method", "none")
    oracle = oracle_probability(test)
    if oracle is not None:
        result |= oracle_figures(y, scores, oracle, e)
    ci = bootstrap_intervals(y, scores, e.bootstrap_resamples, e.bootstrap_seed, e.confidence)
    result["roc_auc_ci"], result["pr_auc_ci"] = rounded(ci["roc_auc"]), rounded(ci["pr_auc"])
    result["bootstrap"] = {
        "resamples": e.bootstrap_resamples,
        "seed": e.bootstrap_seed,
        "confidence": e.confidence,
    }

    base = io.read_table(paths.BASELINES / "test_scores.parquet")
    if not base["customer_key"].equals(test["customer_key"]):
        raise RuntimeError("baseline scores are not aligned with the test split")
    baseline_scores = {name: base[name].to_numpy() for name in ("rules", "logreg")}
    thresholds = io.read_json(paths.BASELINES / "thresholds.json")
    result["baselines"] = business.baseline_summary(y, baseline_scores, thresholds, b)
    result["business"] = {
        "at_threshold": rounded(business.at_threshold(y, scores, threshold, b)),
        "at_budget": rounded(business.at_budget(y, scores, b)),
        "break_even_probability": round(business.break_even_probability(b), 6),
    }
    rules_caught = result["baselines"]["rules"]["at_budget"]["churners_caught"]
    result["business"]["extra_churners_caught_vs_rules"] = round(
        result["business"]["at_budget"]["churners_caught"] - rules_caught, 6
    )
    io.write_json(result, paths.METRICS / "evaluate.json")

    slices = segment_metrics(
        segment_columns(
            test, e.segments, e.tenure_band_days, skip_missing=params.data.source != "synthetic"
        ),
        y,
        scores,
        threshold,
    )
    slices = {col: {v: rounded(m) for v, m in values.items()} for col, values in slices.items()}
    io.write_json(slices, paths.METRICS / "segments.json")

    write_plots(y, scores, threshold, e.calibration_bins)
    business_plots(y, {"model": scores, **baseline_scores}, threshold, b)
    model = base_estimator(pipeline.named_steps["model"])  # importance of the uncalibrated one
    if "features" in pipeline.named_steps:
        names = list(pipeline.named_steps["features"].get_feature_names_out())
        importance = REGISTRY[meta["model"]].importance(model, names)
        if not importance.empty:
            plots.importance_png(importance, e.top_features, paths.PLOTS / "feature_importance.png")
    try:
        dependence_figures = explanations(pipeline, test, scores, params)
    except NotImplementedError as exc:  # tree, forest, RBF SVM, MLP: no exact method here
        log.warning("no SHAP explanations: %s", exc)
        dependence_figures = []

    quality = io.read_json(paths.METRICS / "data_quality.json")
    figures = [(title, f"../plots/{name}") for title, name in FIGURES + dependence_figures]
    card = model_card.model_card(result, slices, quality, b.model_dump(), figures)
    io.write_text(card, paths.REPORTS / "model_card.md")
    log.info("test ROC-AUC %.4f (oracle %s)", result["roc_auc"], result.get("oracle_roc_auc"))
