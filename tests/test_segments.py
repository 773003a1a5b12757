"""Per-segment metrics agree with computing them by hand on each slice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from churnlab.config.columns import TARGET
from churnlab.errors import UserError
from churnlab.evaluation.segments import segment_columns, segment_metrics, tenure_bands


def test_tenure_bands_edges():
    bands = tenure_bands(pd.Series([0, 89, 90, 364, 365, 800, np.nan]), [90, 365])
    assert bands.tolist()[:6] == ["0-90d", "0-90d", "90-365d", "90-365d", "365d+", "365d+"]
    assert pd.isna(bands.iloc[6])


def test_segment_metrics_match_by_hand(prepared):
    frame = prepared.reset_index(drop=True)
    rng = np.random.default_rng(0)
    y = frame[TARGET].to_numpy()
    scores = np.clip(0.3 * y + rng.random(len(y)) * 0.7, 0, 1)
    segs = segment_columns(frame, ["plan", "tenure_band"], [90, 365, 730])
    result = segment_metrics(segs, y, scores, threshold=0.5)
    assert set(result["plan"]) == set(frame["plan"].astype(str).unique())
    for plan, m in result["plan"].items():
        mask = (frame["plan"].astype(str) == plan).to_numpy()
        ys, ss = y[mask], scores[mask]
        assert m["n"] == mask.sum()
        assert m["churn_rate"] == pytest.approx(ys.mean())
        assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(ys, ss))
        assert m["pr_auc"] == pytest.approx(skm.average_precision_score(ys, ss))
        assert m["recall"] == pytest.approx(skm.recall_score(ys, ss >= 0.5))
        assert m["precision"] == pytest.approx(skm.precision_score(ys, ss >= 0.5))
    assert sum(m["n"] for m in result["tenure_band"].values()) == len(frame)


def test_one_class_slice_has_no_ranking_metrics():
    segs = pd.DataFrame({"region": ["a", "a", "b", "b"]})
    result = segment_metrics(segs, np.array([0, 0, 1, 0]), np.array([0.1, 0.2, 0.9, 0.3]), 0.5)
    assert result["region"]["a"]["roc_auc"] is None
    assert result["region"]["b"]["roc_auc"] == 1.0


def test_unknown_segment_column_names_the_key():
    with pytest.raises(UserError, match=r"evaluate.segments.*colour"):
        segment_columns(pd.DataFrame({"plan": ["a"]}), ["colour"], [90])
