"""The evaluate stage's explanations: SHAP importance and dependence, the drivers in words, and
each top-risk customer's reasons and suggested action.

:func:`explain_test` computes them on the test split (a seeded sample of customers for the
global plots and drivers, plus every top-risk customer) through
:mod:`churnlab.evaluation.explain` and :mod:`churnlab.evaluation.reasons`;
:func:`write_explanations` writes the importance and dependence figures (CSV + PNG) and the
top-risk table (CSV + markdown).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from churnlab import io
from churnlab.config.columns import TARGET
from churnlab.config.params import EvaluateParams
from churnlab.config.report import ActionsParams, ReportParams
from churnlab.evaluation import explain, model_card, plots, reasons
from churnlab.features import feature_frame
from churnlab.modeling.registry import base_estimator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Explanations:
    importance: pd.DataFrame  # mean |contribution| per feature, strongest first
    model_name: str  # the explained (uncalibrated) estimator's class
    dependence: list[tuple[int, str, pd.DataFrame]]  # (importance rank, column, value/contrib)
    top_risk: pd.DataFrame  # the highest-risk customers with their reasons
    drivers: pd.DataFrame  # the columns that move the scores most, in words


TOP_RISK_COLUMNS = ["rank", "customer_key", "churn_score", "churned", "reasons", "suggested_action"]


def empty_top_risk() -> pd.DataFrame:
    """The top-risk table of a model without explanations: its columns, no rows."""
    return pd.DataFrame(columns=TOP_RISK_COLUMNS)


def explained_rows(n: int, limit: int, seed: int) -> np.ndarray:
    """Positions of the test customers whose SHAP values feed the global plots: all of them,
    or a seeded sample of ``limit`` (sorted) when there are more."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def explain_test(
    pipeline,
    test: pd.DataFrame,
    scores: np.ndarray,
    e: EvaluateParams,
    report: ReportParams,
    actions: ActionsParams,
    features: pd.DataFrame | None = None,
    priority: np.ndarray | None = None,
) -> Explanations:
    """SHAP importance and dependence, the drivers in words, and the highest-risk customers'
    reasons (folded back to their columns, with values) and suggested actions. ``features``:
    the pipeline's feature step output for all of ``test`` when the caller made it already.

    Raises ``NotImplementedError`` for a model without an exact method (tree, forest, RBF SVM,
    MLP). ``priority``: the order of the top-risk list (e.g. expected value at risk), the
    churn score when None.
    """
    frame = feature_frame(test)
    sample = explained_rows(len(frame), e.explain_rows, e.explain_seed)
    order = scores if priority is None else priority
    top = np.argsort(-np.asarray(order), kind="stable")[: e.top_customers]
    rows = np.union1d(sample, top)  # the top-risk customers always get their reasons
    log.info("SHAP values for %d of %d test customers", len(rows), len(frame))
    steps = pipeline.named_steps
    transformed = None
    if "features" in steps:
        transformed = (
            features.iloc[rows]
            if features is not None
            else steps["features"].transform(frame.iloc[rows])
        )
    X = transformed if transformed is not None else frame.iloc[rows]
    contribs_rows, _ = explain.model_contributions(steps["model"], X)
    contribs = contribs_rows.iloc[np.searchsorted(rows, sample)]
    importance = explain.global_importance(contribs, e.top_features)
    sample_frame = frame.iloc[sample]
    sample_transformed = (
        transformed.iloc[np.searchsorted(rows, sample)] if transformed is not None else None
    )
    dependence = []
    for rank, column in enumerate(importance["column"].head(e.dependence_features), start=1):
        dep = explain.dependence(contribs, column, sample_frame, sample_transformed)
        if not dep["value"].isna().all():
            dependence.append((rank, column, dep))
    fmap = reasons.fold_map(pipeline, list(contribs.columns))
    drivers = reasons.drivers(contribs, fmap, reasons.values_frame(pipeline, sample_frame), 10)
    top_frame = frame.iloc[top]
    explained = reasons.explain_customers(
        pipeline,
        top_frame,
        contribs_rows.iloc[np.searchsorted(rows, top)].set_axis(top_frame.index),
        e.reasons_per_customer,
        report,
        actions,
    )
    reason_columns = [f"reason_{j + 1}" for j in range(e.reasons_per_customer)]
    table = pd.DataFrame(
        {
            "rank": np.arange(1, len(top) + 1),
            "customer_key": test["customer_key"].to_numpy()[top],
            "churn_score": np.round(scores[top], 6),
            "churned": test[TARGET].to_numpy()[top].astype(int),
            "reasons": [
                "; ".join(r for r in row if r) or "none"
                for row in explained[reason_columns].itertuples(index=False)
            ],
            "suggested_action": explained["suggested_action"].to_numpy(),
        }
    )
    model_name = type(base_estimator(steps["model"])).__name__
    return Explanations(importance, model_name, dependence, table, drivers)


def write_explanations(
    found: Explanations, plots_dir: Path, reports_dir: Path
) -> list[tuple[str, str]]:
    """Write the figures and the top-risk table; return the dependence figures' (title, path
    under ``plots_dir``) for the model card."""
    io.write_csv(
        found.importance[["feature", "mean_abs_contribution"]], plots_dir / "shap_importance.csv"
    )
    plots.shap_importance_png(
        found.importance,
        f"Feature importance: mean |SHAP| ({found.model_name}, test)",
        plots_dir / "shap_importance.png",
    )
    written = []
    folder = plots_dir / "dependence"
    for stale in folder.glob("dependence_*"):
        stale.unlink()  # fewer top features than last run: drop the old ones
    for rank, column, dep in found.dependence:
        name = f"dependence_{rank}"
        io.write_csv(dep, folder / f"{name}.csv")
        plots.dependence_png(dep, explain.label(column), folder / f"{name}.png")
        written.append((f"Dependence: {explain.label(column)}", f"dependence/{name}.png"))
    io.write_csv(found.top_risk, reports_dir / "top_risk_customers.csv")
    io.write_text(model_card.top_risk_table(found.top_risk), reports_dir / "top_risk_customers.md")
    return written
