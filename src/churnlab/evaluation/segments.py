"""Metrics per customer segment (plan, region, contract, tenure band, …).

A change that helps on average can hurt one slice; writing the same metrics per segment into
``metrics/segments.json`` makes ``dvc metrics diff`` (and the pull-request report) show it.
The segments are the columns of ``evaluate.segments``; user data that lacks some of them is
also sliced by its own few-valued categorical columns and a tenure-like column.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from churnlab.config.columns import NON_FEATURES
from churnlab.errors import UserError
from churnlab.evaluation.reasons import default_unit
from churnlab.metrics import ks_statistic, top_share_metrics

TENURE_BAND = "tenure_band"
DAYS_PER_MONTH = 30.4375

log = logging.getLogger(__name__)


def tenure_bands(tenure: pd.Series, edges: list[int], unit: str = "d") -> pd.Series:
    """``0-90d``, ``90-365d``, …, ``730d+`` from tenure in days (missing stays missing);
    ``unit`` names another unit the edges are in (``m``: months)."""
    bounds = [0, *edges]
    labels = [f"{lo}-{hi}{unit}" for lo, hi in itertools.pairwise(bounds)]
    labels.append(f"{bounds[-1]}{unit}+")
    cut = pd.cut(tenure, [-np.inf, *edges, np.inf], labels=labels, right=False)
    return cut.astype("string")


def tenure_column(frame: pd.DataFrame) -> str | None:
    """The first numeric column named like a tenure (``tenure``, ``tenure_days``, ...)."""
    for name in frame.columns:
        if "tenure" in str(name).lower() and pd.api.types.is_numeric_dtype(frame[name]):
            return str(name)
    return None


def month_edges(edges_days: list[int]) -> list[int]:
    """Day edges in whole months (90, 365, 730 → 3, 12, 24), for tenure counted in months."""
    return sorted({max(1, round(d / DAYS_PER_MONTH)) for d in edges_days})


def schema_segments(
    frame: pd.DataFrame, max_values: int, tenure_edges: list[int]
) -> dict[str, pd.Series]:
    """Segments found in the data itself: every categorical column with 2 to ``max_values``
    values, plus tenure bands of a tenure-like column (in days when its name says days,
    otherwise in months, the unit of subscription exports such as Telco's ``tenure``)."""
    out: dict[str, pd.Series] = {}
    for name in frame.columns:
        values = frame[name]
        if name in NON_FEATURES or pd.api.types.is_numeric_dtype(values):
            continue
        if pd.api.types.is_datetime64_any_dtype(values):
            continue
        if 2 <= values.nunique(dropna=True) <= max_values:
            out[str(name)] = values.astype("string")
    tenure = tenure_column(frame)
    if tenure is not None:
        in_days = default_unit(tenure) == "days"  # the unit the reasons give it, too
        edges = tenure_edges if in_days else month_edges(tenure_edges)
        out[TENURE_BAND] = tenure_bands(frame[tenure], edges, "d" if in_days else "m")
    return out


def segment_columns(
    frame: pd.DataFrame,
    names: list[str],
    tenure_edges: list[int],
    skip_missing: bool = False,
    max_values: int = 8,
) -> pd.DataFrame:
    """The segment label of each customer for each requested column.

    ``skip_missing`` (user data, whose columns the params cannot know) leaves out named
    columns the table lacks and adds the segments found in the data itself
    (:func:`schema_segments`). For the synthetic data a missing column is an error.
    """
    out = {}
    missing = []
    for name in names:
        if name == TENURE_BAND and TENURE_BAND not in frame and "tenure_days" in frame:
            out[name] = tenure_bands(frame["tenure_days"], tenure_edges)
        elif name in frame:
            out[name] = frame[name].astype("string")
        elif skip_missing:
            missing.append(name)
        else:
            raise UserError(
                f"params.yaml: evaluate.segments names column {name!r}, which the test data "
                f"does not have (columns: {', '.join(map(str, frame.columns))})"
            )
    if missing:  # user data: its own few-valued columns stand in for the absent ones
        found = schema_segments(frame, max_values, tenure_edges)
        out |= {k: v for k, v in found.items() if k not in out}
        log.info(
            "evaluate.segments: the data has no column %s; slicing by its own columns too: %s",
            missing,
            ", ".join(found) or "none",
        )
    return pd.DataFrame(out, index=frame.index).fillna("missing")


def slice_metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """The headline metrics of one slice; ranking metrics are None when it has one class."""
    y = np.asarray(y, dtype=int)
    predicted = scores >= threshold
    positives = int(y.sum())
    both = 0 < positives < len(y)
    tp = int((predicted & (y == 1)).sum())
    return {
        "n": len(y),
        "churn_rate": positives / len(y),
        "mean_score": float(np.mean(scores)),
        "roc_auc": float(skm.roc_auc_score(y, scores)) if both else None,
        "pr_auc": float(skm.average_precision_score(y, scores)) if both else None,
        "ks": ks_statistic(y, scores) if both else None,
        "recall": tp / positives if positives else None,
        "precision": tp / int(predicted.sum()) if predicted.any() else None,
        "top_decile_lift": top_share_metrics(y, scores)["lift"] if positives else None,
    }


def segment_metrics(
    segments: pd.DataFrame, y: np.ndarray, scores: np.ndarray, threshold: float
) -> dict:
    """``{column: {value: metrics}}`` for every segment column and each of its values."""
    y, scores = np.asarray(y), np.asarray(scores, dtype="float64")
    result: dict = {}
    for column in segments.columns:
        labels = segments[column].to_numpy()
        result[column] = {
            str(value): slice_metrics(y[labels == value], scores[labels == value], threshold)
            for value in sorted(pd.unique(labels))
        }
    return result
