"""Metrics per customer segment (plan, region, contract, tenure band, …).

A change that helps on average can hurt one slice; writing the same metrics per segment into
``metrics/segments.json`` makes ``dvc metrics diff`` (and the pull-request report) show it.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from churnlab.errors import UserError
from churnlab.metrics import ks_statistic, top_share_metrics

TENURE_BAND = "tenure_band"

log = logging.getLogger(__name__)


def tenure_bands(tenure_days: pd.Series, edges: list[int]) -> pd.Series:
    """``0-90d``, ``90-365d``, …, ``730d+`` from tenure in days (missing stays missing)."""
    bounds = [0, *edges]
    labels = [f"{lo}-{hi}d" for lo, hi in itertools.pairwise(bounds)]
    labels.append(f"{bounds[-1]}d+")
    cut = pd.cut(tenure_days, [-np.inf, *edges, np.inf], labels=labels, right=False)
    return cut.astype("string")


def segment_columns(
    frame: pd.DataFrame, names: list[str], tenure_edges: list[int], skip_missing: bool = False
) -> pd.DataFrame:
    """The segment label of each customer for each requested column.

    ``skip_missing`` (user data, whose columns the params cannot know) leaves out named
    columns the table lacks, with a logged note; for the synthetic data they are errors.
    """
    out = {}
    for name in names:
        if name == TENURE_BAND and TENURE_BAND not in frame and "tenure_days" in frame:
            out[name] = tenure_bands(frame["tenure_days"], tenure_edges)
        elif name in frame:
            out[name] = frame[name].astype("string")
        elif skip_missing:
            log.info("evaluate.segments: the data has no column %r; slice skipped", name)
        else:
            raise UserError(
                f"params.yaml: evaluate.segments names column {name!r}, which the test data "
                f"does not have (columns: {', '.join(map(str, frame.columns))})"
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
