"""A validation ROC-AUC of 0.99 or more is announced loudly: in the log, metrics/train.json,
the model's metadata and at the top of the model card."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.data import privacy, quality
from churnlab.evaluation.model_card import model_card
from churnlab.stages import baselines, evaluate, featurize, prepare, split, train
from conftest import SALT, small_params
from test_model_card import BUSINESS, METRICS, SEGMENTS


@pytest.mark.parametrize(("auc", "warned"), [(0.9899, False), (0.99, True), (1.0, True)])
def test_too_good_warning_starts_at_the_threshold(auc, warned):
    warning = quality.too_good_warning(auc)
    assert (warning is not None) == warned
    if warned:
        assert warning.startswith(f"validation ROC-AUC {auc:.4f} reaches 0.99")


def test_model_card_opens_with_the_warnings():
    warning = quality.too_good_warning(0.9987)
    card = model_card(METRICS, SEGMENTS, {"rows_out": 5, "rows_in": 5}, BUSINESS, [], [warning])
    assert card.index(f"> **WARNING: {warning}**") < card.index("## Intended use")
    plain = model_card(METRICS, SEGMENTS, {"rows_out": 5, "rows_in": 5}, BUSINESS, [])
    assert "WARNING" not in plain


@pytest.mark.e2e
def test_a_leak_forced_past_inference_is_announced(tmp_path, monkeypatch):
    """A code column that encodes the label, typed by hand (so inference does not check it):
    the model is perfect on validation, and every report says so."""
    rng = np.random.default_rng(0)
    n = 800
    churn = rng.random(n) < 0.3
    table = pd.DataFrame(
        {
            "id": [f"C{i:04d}" for i in range(n)],
            "fee": rng.uniform(10, 100, n).round(2),
            "tenure": rng.integers(0, 72, n),
            "plan": rng.choice(["basic", "standard", "premium"], n),
            "branch": np.where(churn, rng.choice(40, n), 40 + rng.choice(40, n)).astype(str),
            "Churn": np.where(churn, "Yes", "No"),
        }
    )
    table.to_csv(tmp_path / "in.csv", index=False)
    data = {
        "source": "csv",
        "path": str(tmp_path / "in.csv"),
        "target": "Churn",
        "positive": "Yes",
        "id": "id",
        "columns": {"branch": {"type": "categorical"}},
    }
    params = small_params(data=data)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(privacy.SALT_ENV, SALT.decode())
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logging.getLogger("churnlab").addHandler(handler)
    try:
        for stage in (prepare, split, featurize, train, baselines, evaluate):
            stage.main(params)
    finally:
        logging.getLogger("churnlab").removeHandler(handler)
    summary = io.read_json(tmp_path / "metrics/train.json")
    assert summary["valid"]["roc_auc"] >= 0.99
    warning = quality.too_good_warning(summary["valid"]["roc_auc"])
    assert summary["warnings"] == [warning]
    assert io.read_json(tmp_path / "models/metadata.json")["warnings"] == [warning]
    assert any(r.getMessage() == warning for r in records)
    assert f"> **WARNING: {warning}**" in (tmp_path / "reports/model_card.md").read_text()
    # ... and the data-quality section of reports/index.html opens with it.
    page = (tmp_path / "reports/index.html").read_text()
    quality_section = page[page.index('<section id="data-quality">') :]
    assert quality_section.index("WARNING: validation ROC-AUC") < quality_section.index("</ul>")
