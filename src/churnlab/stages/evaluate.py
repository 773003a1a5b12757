"""Stage evaluate: score the test split with the saved inference pipeline and report.

Writes ``metrics/evaluate.json`` and ``metrics/segments.json``
(:mod:`churnlab.evaluation.holdout`: threshold metrics, bootstrap intervals, business figures
against the baselines, the gap to the Bayes-optimal oracle on synthetic data; the same per
slice), plot data under ``plots/`` for ``dvc plots`` with a PNG of each, the SHAP figures
(:mod:`churnlab.evaluation.shap_report`) and ``reports/`` (model card, the highest-risk
customers with their reasons in words, and ``index.html``, the self-contained report for a
reader without the metrics: :mod:`churnlab.evaluation.report_pages`).
EMPC, the profit-based measure (:mod:`churnlab.evaluation.profit`), sits beside ROC-AUC. With
``engine.name: spark`` the test scores are computed on the executors and only a few columns
of the test split reach the driver (:mod:`churnlab.engine.holdout`).
The uplift and survival stages run first; the report and model card show their policy
comparison and survival headline when they ran (:mod:`churnlab.evaluation.outlook_report`).
When the test customers have a value (a value column, else the survival model's lifetime
value: :func:`churnlab.evaluation.valuation.test_value`), the top-risk list ranks by expected
value at risk and the business section shows the saved value
(:func:`churnlab.evaluation.valuation.saved_value_section`); without, both are as before.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.evaluation import (
    holdout,
    model_card,
    profit,
    reasons,
    report_pages,
    shap_report,
    valuation,
)
from churnlab.evaluation.outlook_report import card_lines
from churnlab.features import feature_frame
from churnlab.modeling.registry import base_estimator

log = logging.getLogger(__name__)


def oracle_probability(test: pd.DataFrame) -> np.ndarray | None:
    """The true churn probability of each test customer (synthetic data only)."""
    if not paths.TRUTH.exists():
        return None
    truth = io.read_table(paths.TRUTH).set_index("customer_key")["churn_probability"]
    if truth.empty:  # user data: prepare writes an empty truth table
        return None
    return truth.loc[test["customer_key"]].to_numpy()


def read_baselines(test: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The baselines' test scores (aligned with ``test``) and validation thresholds."""
    base = io.read_table(paths.BASELINES / "test_scores.parquet")
    if not base["customer_key"].equals(test["customer_key"]):
        raise RuntimeError("baseline scores are not aligned with the test split")
    scores = {name: base[name].to_numpy() for name in ("rules", "logreg")}
    return scores, io.read_json(paths.BASELINES / "thresholds.json")


def read_outlook() -> tuple[dict | None, dict | None, bytes | None]:
    """``metrics/uplift.json``, ``metrics/survival.json`` and the Kaplan-Meier PNG, where the
    uplift and survival stages wrote them."""
    files = (paths.METRICS / "uplift.json", paths.METRICS / "survival.json")
    uplift, survival = (io.read_json(f) if f.exists() else None for f in files)
    png = paths.PLOTS / "survival" / "kaplan_meier.png"
    return uplift, survival, png.read_bytes() if png.exists() else None


def outlook_shown(result: dict, outlook: tuple) -> tuple[dict | None, dict | None, bytes | None]:
    """``outlook`` (:func:`read_outlook`), without the survival stage's saved-value table when
    the business section shows it (``business.saved_value``): one place in the report and in
    the model card."""
    uplift, survival, png = outlook
    if "saved_value" in result["business"] and "campaign" in (survival or {}).get("value", {}):
        value = {k: v for k, v in survival["value"].items() if k != "campaign"}
        survival = survival | {"value": value}
    return uplift, survival, png


def write_index(result: dict, quality: dict, b, found, warnings: list[str], outlook) -> None:
    """``reports/index.html`` from the figures just written (``found``: the explanations, or
    None for a model without an exact method; ``warnings``: the model's, shown first in its
    data-quality section; ``outlook``: :func:`read_outlook`)."""
    page = report_pages.evaluation_page(
        result,
        quality,
        b.model_dump(),
        found.top_risk if found else shap_report.empty_top_risk(),
        found.drivers if found else reasons.no_drivers(),
        report_pages.Figures(
            ((paths.PLOTS / "profit.png").read_bytes(), "Expected net savings by threshold (test)"),
            ((paths.PLOTS / "gains.png").read_bytes(), "Cumulative gains (test)"),
        ),
        warnings,
        report_pages.outlook_section(*outlook_shown(result, outlook), b.currency),
    )
    io.write_text(page, paths.REPORTS / "index.html")


def scored_test(params: Params, pipeline):
    """(the test split, its scores, SHAP's rows + their scores + evaluate params [+ the
    pipeline's features of those rows, made once for both]). On Spark the
    scores come from the executors and only a few columns of the split reach the driver."""
    if params.engine.name == "spark":
        from churnlab.engine.holdout import scored_test as on_spark

        view = on_spark(params, pipeline)
        return view.columns, view.scores, view.explained
    test = io.read_table(paths.SPLIT / "test.parquet")
    steps = pipeline.named_steps
    if "features" not in steps:
        scores = pipeline.predict_proba(feature_frame(test))[:, 1]
        return test, scores, (test, scores, params.evaluate)
    # The features are made once: scored here and explained by shap_report (as the pipeline).
    transformed = steps["features"].transform(feature_frame(test))
    scores = steps["model"].predict_proba(transformed)[:, 1]
    return test, scores, (test, scores, params.evaluate, transformed)


def main(params: Params) -> None:
    e, b = params.evaluate, params.business
    pipeline = package.load(paths.PIPELINE)
    meta = io.read_json(paths.MODEL_META)
    test, scores, explained = scored_test(params, pipeline)
    y = test[TARGET].to_numpy()
    threshold = meta["threshold"]
    outlook = read_outlook()  # a bad value column stops here, before anything is written
    made = explained[3] if explained is not None and len(explained) > 3 else None  # not twice
    valued = valuation.test_value(params, pipeline, test, scores, outlook[1], transformed=made)
    result = holdout.holdout_metrics(y, scores, meta, e, oracle_probability(test))
    result |= {
        "empc": profit.empc(y, scores),
        "empc_contact_share": profit.empc_contact_share(y, scores),
    }
    baseline_scores, baseline_thresholds = read_baselines(test)
    baseline_scores = holdout.usable_baselines(baseline_scores)
    if "rules" not in baseline_scores:
        log.info("today's rules give every customer the same score here: not a baseline")
    result |= holdout.business_summary(
        y, scores, threshold, baseline_scores, baseline_thresholds, b
    )
    saved_value = valuation.saved_value_section(params, outlook[1], valued, y, scores)
    if saved_value is not None:  # each test customer has a value: the saved value too
        result["business"]["saved_value"] = saved_value
    io.write_json(result, paths.METRICS / "evaluate.json")
    skip_missing = params.data.source != "synthetic"
    slices = holdout.segment_summary(
        test, y, scores, threshold, e, skip_missing, params.report.segment_max_values
    )
    io.write_json(slices, paths.METRICS / "segments.json")

    holdout.write_curve_figures(paths.PLOTS, y, scores, threshold, e.calibration_bins)
    scores_by_model = {"model": scores, **baseline_scores}
    holdout.write_business_figures(paths.PLOTS, y, scores_by_model, threshold, b)
    if "features" in pipeline.named_steps:  # importance of the uncalibrated model
        model = base_estimator(pipeline.named_steps["model"])
        features = pipeline.named_steps["features"]
        holdout.write_model_importance(paths.PLOTS, meta["model"], model, features, e.top_features)
    try:
        rows, made = explained[:3], explained[3:]  # the features made once (scored_test)
        # With per-customer value the list ranks by expected value at risk (never on Spark:
        # there ``explained`` holds only SHAP's rows and ``test_value`` is None).
        priority = None if valued is None else valued.at_risk
        found = shap_report.explain_test(
            pipeline, *rows, params.report, params.actions, *made, priority=priority
        )
        found = valuation.with_value(found, valued, test, b)
    except NotImplementedError as exc:  # tree, forest, RBF SVM, MLP: no exact method here
        log.warning("no SHAP explanations: %s", exc)
        found, dependence_figures = None, []
    else:
        dependence_figures = shap_report.write_explanations(found, paths.PLOTS, paths.REPORTS)

    quality = io.read_json(paths.METRICS / "data_quality.json")
    figures = [(t, f"../plots/{name}") for t, name in holdout.FIGURES + dependence_figures]
    card = model_card.model_card(
        result,
        slices,
        quality,
        b.model_dump(),
        figures,
        meta.get("warnings", []),
        meta.get("selection"),
        card_lines(*outlook_shown(result, outlook)[:2], b.currency),
    )
    io.write_text(card, paths.REPORTS / "model_card.md")
    write_index(result, quality, b, found, meta.get("warnings", []), outlook)
    if "oracle_roc_auc" in result:  # synthetic data: the ceiling is known
        log.info("test ROC-AUC %.4f (oracle %.4f)", result["roc_auc"], result["oracle_roc_auc"])
    else:
        log.info("test ROC-AUC %.4f", result["roc_auc"])
