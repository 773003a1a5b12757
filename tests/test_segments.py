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


def telco_like(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "customer_key": [f"k{i}" for i in range(n)],
            "Contract": rng.choice(["Month-to-month", "One year", "Two year"], n),
            "PaymentMethod": rng.choice(["Electronic check", "Mailed check"], n),
            "notes": [f"free text {i}" for i in range(n)],  # many values: not a segment
            "tenure": rng.integers(0, 72, n).astype(float),  # months
            "MonthlyCharges": rng.uniform(18, 119, n),
            TARGET: rng.integers(0, 2, n),
        }
    )


def test_user_data_without_the_configured_columns_is_sliced_by_its_own():
    """Observation 2: Telco's column is ``Contract``; every configured slice was skipped."""
    frame = telco_like()
    segs = segment_columns(
        frame, ["plan", "region", "contract", "tenure_band"], [90, 365, 730], skip_missing=True
    )
    assert list(segs.columns) == ["Contract", "PaymentMethod", "tenure_band"]
    assert set(segs["tenure_band"]) == {"0-3m", "3-12m", "12-24m", "24m+"}  # months
    months = frame["tenure"]
    assert (segs["tenure_band"] == "0-3m").sum() == (months < 3).sum()
    y = frame[TARGET].to_numpy()
    result = segment_metrics(segs, y, np.random.default_rng(0).random(len(y)), 0.5)
    assert set(result["Contract"]) == {"Month-to-month", "One year", "Two year"}


def test_few_values_limit_and_configured_columns_first():
    frame = telco_like().assign(plan="basic")
    segs = segment_columns(frame, ["plan", "region"], [90], skip_missing=True, max_values=2)
    assert list(segs.columns) == ["plan", "PaymentMethod", "tenure_band"]  # Contract has 3
