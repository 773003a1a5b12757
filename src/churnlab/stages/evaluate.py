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
value: :func:`test_value`), the top-risk list ranks by expected value at risk and the business
section shows the saved value (:func:`saved_value_section`); without, both are as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.errors import UserError
from churnlab.evaluation import (
    business,
    holdout,
    model_card,
    profit,
    reasons,
    report_pages,
    shap_report,
)
from churnlab.evaluation.outlook_report import card_lines
from churnlab.features import feature_frame
from churnlab.modeling.registry import base_estimator
from churnlab.survival import artifact as survival_artifact

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


@dataclass(frozen=True)
class TestValue:
    """Each test customer's value (:func:`churnlab.evaluation.business.customer_value`), churn
    probability within the value horizon and expected value at risk (their product)."""

    value: business.CustomerValue
    probability: np.ndarray
    at_risk: np.ndarray


def value_column_cells(params: Params, test: pd.DataFrame) -> pd.Series | None:
    """The test customers' ``report.value_column`` as numbers (None when none is named or on
    Spark, whose driver reads only a few columns); a named column missing from the test split,
    or holding text or negative values, is a user error before anything is written."""
    named = params.report.value_column
    if not named or params.engine.name == "spark":
        return None
    where = str(paths.SPLIT / "test.parquet")
    if named not in test:
        raise UserError(
            f"params.yaml: report.value_column {named!r} is not a column of {where}; "
            f"columns: {sorted(map(str, test.columns))}"
        )
    return business.checked_value_column(test[named], named, where)


def survival_table(pipeline, test: pd.DataFrame, survival: dict | None, transformed=None):
    """The survival model's horizon probability, lifetime value and value at risk of each test
    customer (:mod:`churnlab.survival.artifact`, as ``churnlab predict`` computes them), when
    the survival stage ran on these test customers; else None. ``transformed``: the pipeline's
    features of ``test`` when :func:`scored_test` made them already (made here otherwise)."""
    if not survival or "skipped" in survival or survival.get("n_test") != len(test):
        return None
    if "features" not in pipeline.named_steps:
        return None
    features = pipeline.named_steps["features"]
    model = survival_artifact.load(paths.SURVIVAL_MODEL, list(features.get_feature_names_out()))
    if model is None:
        return None
    made = features.transform(feature_frame(test)) if transformed is None else transformed
    return model.table(made, with_past_offer(test, model.offer))


def with_past_offer(test: pd.DataFrame, offer: dict | None) -> pd.DataFrame:
    """The test customers with the past offer column the survival model reads. Synthetic data
    keeps its campaign log in ``data/prepared/truth.parquet`` (``treated``), not in the split:
    without it every offered customer would be valued as never offered (as the survival stage
    does not); user data carries the column in the split."""
    if offer is None or offer["column"] in test or not paths.TRUTH.exists():
        return test
    log = io.read_table(paths.TRUTH)
    if "treated" not in log:
        return test
    flags = log.set_index("customer_key")["treated"].reindex(test["customer_key"])
    return test.assign(**{offer["column"]: flags.to_numpy()})


def test_value(
    params: Params, pipeline, test, scores, survival, transformed=None
) -> TestValue | None:
    """The test customers' value and value at risk when they have a value: the value column,
    else the survival model's lifetime value (probability within the value horizon from the
    survival model when it ran, else the classifier's); None without per-customer value."""
    cells = value_column_cells(params, test)
    local = params.engine.name != "spark"
    table = survival_table(pipeline, test, survival, transformed) if local else None
    if cells is None and table is None:
        return None
    lifetime = None if table is None else table["value"]
    named = params.report.value_column
    chosen = business.customer_value(params.business, len(test), cells, named, lifetime)
    if table is None:
        probability = np.asarray(scores, dtype="float64")
    else:
        probability = table["value_horizon_churn_probability"].to_numpy("float64")
    return TestValue(chosen, probability, probability * chosen.values)


def saved_value_section(params: Params, survival: dict | None, valued, y, scores):
    """``business.saved_value`` (:func:`churnlab.evaluation.business.saved_value_section`)
    from one campaign on the test split: the survival stage's when it ran on these customers
    (churned = within its value horizon); else, with a value column, the same comparison here
    (:func:`churnlab.survival.policies.compare`, the classifier's probability, churned = the
    label); else None (no value: the business section as before)."""
    b, e = params.business, params.evaluate
    if survival and "skipped" not in survival and survival.get("n_test") == len(y):
        value = survival.get("value") or {}
        found = business.saved_value_section(value.get("campaign"), value.get("from", ""), b)
        if found is not None:
            return found
    if valued is None or valued.value.source != "column":
        return None
    from churnlab.survival import policies

    campaign = policies.compare(
        valued.value.values, valued.at_risk, scores, y.astype(bool), b,
        e.bootstrap_resamples, e.bootstrap_seed,
    )  # fmt: skip
    campaign |= {"churned_within_days": params.data.churn_window_days}
    campaign |= {"probability_from": "classifier"}
    return business.saved_value_section(campaign, "column", b)


def with_value(found, valued: TestValue | None, test: pd.DataFrame, b):
    """The top-risk table with each customer's value, expected value at risk and whether the
    value-at-risk rule calls them (:func:`churnlab.evaluation.business.value_at_risk_contacts`
    over the whole test split); unchanged without per-customer value."""
    if found is None or valued is None:
        return found
    keys = pd.Index(test["customer_key"])
    rows = keys.get_indexer(found.top_risk["customer_key"])
    called = business.value_at_risk_contacts(valued.at_risk, b)
    table = found.top_risk.copy()
    at = list(table.columns).index("churned") + 1  # beside the score, before the reasons
    table.insert(at, "customer_value", np.round(valued.value.values[rows], 2))
    table.insert(at + 1, "value_at_risk", np.round(valued.at_risk[rows], 2))
    table.insert(at + 2, "call", called[rows].astype(int))
    return replace(found, top_risk=table)


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
    valued = test_value(params, pipeline, test, scores, outlook[1], transformed=made)
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
    saved_value = saved_value_section(params, outlook[1], valued, y, scores)
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
        found = with_value(found, valued, test, b)
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
