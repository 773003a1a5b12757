"""The uplift stage's core (churnlab.uplift.report): choice, headline figures, plot tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab.modeling.registry import spec_for
from churnlab.uplift import report
from conftest import small_params


def _campaign(n: int, seed: int) -> report.Campaign:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    t = (rng.random(n) < 0.3).astype(int)
    tau = np.where(X["b"] > 0, 0.3, 0.0)
    churned = (rng.random(n) < 0.5 - tau * t).astype(int)
    return report.Campaign(X, churned, t, np.full(n, 0.3), tau)


@pytest.fixture(scope="module")
def parts():
    return _campaign(3000, 0), _campaign(1000, 1), _campaign(3000, 2)


def test_auto_keeps_the_best_validation_qini(parts):
    train, valid, _ = parts
    base = spec_for("logreg").make(small_params().train, train.churned)
    fitted = report.fit_learners(["s", "t", "x"], base, train, valid, seed=0)
    on_valid = report.predict_all(fitted, valid.X)
    chosen, qini = report.choose(on_valid, valid, "auto")
    assert set(qini) == {"s", "t", "x"} and qini[chosen] == max(qini.values())
    # The X-learner reuses the T-learner's outcome models instead of fitting them again.
    assert fitted["x"].control_ is fitted["t"].control_
    assert report.choose(on_valid, valid, "s")[0] == "s"


def test_headline_with_the_truth_as_score_is_the_oracle(parts):
    test = parts[2]
    out = report.headline(test.true_uplift, test, resamples=30, seed=0, confidence=0.9)
    assert out["qini"] == pytest.approx(out["oracle_qini"])
    assert out["qini_share_of_oracle"] == pytest.approx(1.0)
    assert out["true_effect_correlation"] == pytest.approx(1.0)
    interval = out["intervals"]["qini"]
    assert interval["low"] < out["qini"] < interval["high"]


def test_curves_start_at_zero_and_end_on_the_random_line(parts):
    test = parts[2]
    tables = report.curves({"model": test.true_uplift}, test)
    for table in tables.values():
        assert table["contacted_share"].iloc[[0, -1]].tolist() == [0.0, 1.0]
        assert table["model"].iloc[0] == 0 and table["random"].iloc[0] == 0
        assert table["model"].iloc[-1] == pytest.approx(table["random"].iloc[-1], abs=1e-6)
    # Contacting persuadables first lifts the Qini curve above the random line.
    assert (tables["qini"]["model"] >= tables["qini"]["random"] - 1e-6).all()


def test_deciles_put_the_persuadables_first(parts):
    test = parts[2]
    table = report.deciles(test.true_uplift + np.arange(3000) * 1e-9, test)
    assert table["decile"].tolist() == list(range(1, 11))
    assert table["true_uplift"].iloc[0] == pytest.approx(0.3)
    assert table["observed_uplift"].iloc[:4].mean() > table["observed_uplift"].iloc[-4:].mean()


def test_pr_report_shows_the_uplift_headline(tmp_path, monkeypatch):
    from churnlab.evaluation.pr_report import build_report
    from test_report import BASE, SEG_BASE, sh, write_revision

    sh(["git", "init", "-q", "-b", "main"], tmp_path)
    write_revision(tmp_path, 0.05, BASE, SEG_BASE, 0.0, valid=0.80)
    sh(["git", "add", "-A"], tmp_path)
    sh(["git", "commit", "-qm", "base"], tmp_path)
    figures = {"qini": 0.0512, "policy_net_gain": 1500.0, "risk_policy_net_gain": 900.0}
    (tmp_path / "metrics/uplift.json").write_text(json.dumps(figures))
    monkeypatch.chdir(tmp_path)
    text = build_report("main", Path("r.md"))
    section = text.split("### Uplift (test split)")[1].split("###")[0]
    assert "| Qini coefficient |" in section and "0.0512" in section
    assert "1,500" in section and "900" in section and "AUUC" not in section
