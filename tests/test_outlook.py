"""Uplift and survival everywhere the churn model goes: the saved artifacts, the scorer, the
API, ``churnlab predict``, the call-list order, the report, model card and PR report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab import package
from churnlab.config.columns import TARGET
from churnlab.config.params import BusinessParams
from churnlab.config.survival import SurvivalParams
from churnlab.evaluation import html_report, outlook_report, report_pages
from churnlab.evaluation.wording import money
from churnlab.modeling.registry import spec_for
from churnlab.serving import predict
from churnlab.survival import artifact as survival_artifact
from churnlab.survival import curves
from churnlab.survival.models import fit_model
from churnlab.uplift import artifact as uplift_artifact
from churnlab.uplift import learners
from conftest import SALT, small_params


def _features(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])


def test_uplift_artifact_round_trips_under_the_allow_list(tmp_path):
    X = _features(600, 0)[["b", "a", "c"]]  # the learner's order: b, a, c
    t = np.arange(600) % 2
    y = (X["a"] + 0.8 * t * (X["b"] > 0) > 0.3).astype(int).to_numpy()
    base = spec_for("logreg").make(small_params().train, y)
    learner = learners.TLearner(base=base).fit(X, y, t)
    package.save(uplift_artifact.bundle(learner, ["b", "a", "c"], 500.0, 50.0, 0.5), tmp_path / "u")
    # The scorer's features come in its own column order; the saved columns pick the learner's.
    shuffled = X[["c", "a", "b"]]
    loaded = uplift_artifact.load(tmp_path / "u", list(shuffled.columns))
    expected = learner.predict(X)
    np.testing.assert_allclose(loaded.uplift(shuffled), expected)
    wrong_order = shuffled.set_axis(X.columns, axis=1)  # the columns' names, not their data
    assert not np.allclose(learner.predict(wrong_order), expected)
    gain = expected * 500.0 - 50.0
    actions = loaded.actions(expected)
    # Contact only a positive gain, at most half of the customers, the best gains first.
    contacted = actions == uplift_artifact.CONTACT
    assert 0 < contacted.sum() <= 300 and (gain[contacted] > 0).all()
    assert gain[contacted].min() >= gain[~contacted & (gain > 0)].max(initial=-np.inf)
    # A learner fitted on other features, a skipped stage, no file: nothing is served.
    assert uplift_artifact.load(tmp_path / "u", ["a", "b"]) is None
    package.save(uplift_artifact.skipped("no treatment column"), tmp_path / "s")
    assert uplift_artifact.load(tmp_path / "s", ["a", "b", "c"]) is None
    assert uplift_artifact.load(tmp_path / "missing", ["a"]) is None


@pytest.mark.parametrize("name", ["xgb_cox", "xgb_aft"])
def test_survival_artifact_round_trips_under_the_allow_list(name, tmp_path):
    X = _features(800, 1)
    rng = np.random.default_rng(2)
    duration = np.ceil(rng.exponential(200 * np.exp(-X["a"].to_numpy()))).clip(1, 365)
    event = duration < 365
    p = SurvivalParams(n_estimators=30, n_jobs=1, horizons_days=[30, 90], value_horizon_days=60)
    data = (X, duration, event)
    model = fit_model(name, p, data, data)
    package.save(survival_artifact.bundle(name, model, X.columns, p, 365), tmp_path / "s")
    loaded = survival_artifact.load(tmp_path / "s", list(X.columns))
    customers = {"monthly_fee": np.full(len(X), 40.0)}
    table = loaded.table(X, customers)
    margin = curves.margins(pd.DataFrame(customers), p.value)
    expected = curves.customer_table(model, X, 365, [30, 90], 60, margin, p.value)
    pd.testing.assert_frame_equal(table[expected.columns], expected)
    assert (table["value"] > 0).all()
    np.testing.assert_allclose(
        table["value_horizon_churn_probability"] * table["value"], table["value_at_risk"]
    )


def test_models_the_allow_list_cannot_hold_are_not_saved():
    saved = survival_artifact.bundle("rsf", None, ["a"], SurvivalParams(), 365)
    assert "rsf" in saved["skipped"] and survival_artifact.from_bundle(saved) is None


def _scored(probability, horizon_probability) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "churn_probability": probability,
            "risk_tier": "high",
            "value_horizon_churn_probability": horizon_probability,
        }
    )


def test_call_list_follows_the_value_at_risk_when_value_is_known():
    ids = pd.Series(["likely-cheap", "unlikely-dear", "middle"])
    customers = predict.Customers(None, ids, "customer_id", pd.DataFrame())
    ok = np.ones(3, dtype=bool)
    why = pd.DataFrame({"reason_family": ["", "", ""], "suggested_action": ["call"] * 3})
    values = np.array([20.0, 900.0, 100.0])
    # Probability and value disagree: the likeliest churner is worth least.
    scored = _scored([0.9, 0.2, 0.5], [0.8, 0.1, 0.4])
    frame = predict.predictions_frame(customers, ok, scored, values, why)
    # Value at risk uses the survival model's probability within the value horizon.
    assert frame["expected_value_at_risk"].tolist() == [16.0, 90.0, 40.0]
    b = BusinessParams(contact_budget_share=1.0)
    by_value = predict.call_list(frame, b)["customer_id"].tolist()
    by_probability = predict.call_list(frame, b, "probability")["customer_id"].tolist()
    assert by_value == ["unlikely-dear", "middle", "likely-cheap"]
    assert by_probability == ["likely-cheap", "middle", "unlikely-dear"]
    # One value for everyone (no value known): the old order, by probability.
    flat = predict.predictions_frame(
        customers, ok, scored.drop(columns=[scored.columns[2]]), np.full(3, 500.0), why
    )
    assert predict.call_list(flat, b)["customer_id"].tolist() == by_probability


def _metrics(name: str) -> dict:
    return json.loads((Path(__file__).parents[1] / "metrics" / f"{name}.json").read_text())


def test_the_report_shows_the_policy_table_and_the_survival_headline():
    uplift, survival = _metrics("uplift"), _metrics("survival")
    if "policy" not in uplift or "concordance" not in survival:
        pytest.skip("the committed metrics come from a run without uplift or survival")
    section = report_pages.outlook_section(uplift, survival, b"\x89PNG fake", "EUR")
    page = html_report.page("t", "s", [section])
    money_of, _ = outlook_report.policy_money(uplift)
    for key, label in outlook_report.POLICIES.items():
        assert html_report.esc(label) in page
        assert money(money_of[key]["net_gain"], "EUR") in page
    assert (
        f"{survival['concordance']:.4f}" in page
        and f"{survival['km_integrated_brier']:.4f}" in page
    )
    assert "data:image/png;base64" in page  # the Kaplan-Meier figure inline
    figures = report_pages.Figures((b"p", "profit"), (b"g", "gains"))
    empty = pd.DataFrame(columns=["column", "direction"])
    drivers = report_pages.drivers_section(empty, "here")
    sections = report_pages.page_sections(["x"], "t", "", drivers, figures, [], [], section)
    anchors = [s.anchor for s in sections]
    assert anchors == [*report_pages.SECTIONS[:4], report_pages.OUTLOOK, *report_pages.SECTIONS[4:]]
    card = "\n".join(outlook_report.card_lines(uplift, survival, "EUR"))
    assert "| policy |" in card and "kaplan_meier.png" in card
    # Stages off or skipped: no section, no card lines.
    assert report_pages.outlook_section({"enabled": False}, {"skipped": "x"}, None, "") is None
    assert outlook_report.card_lines({"skipped": "x"}, None) == []


def test_pr_report_shows_the_survival_headline(tmp_path, monkeypatch):
    from churnlab.evaluation.pr_report import build_report
    from test_report import BASE, SEG_BASE, sh, write_revision

    sh(["git", "init", "-q", "-b", "main"], tmp_path)
    write_revision(tmp_path, 0.05, BASE, SEG_BASE, 0.0, valid=0.80)
    (tmp_path / "metrics/survival.json").write_text(json.dumps({"concordance": 0.8011}))
    sh(["git", "add", "-A"], tmp_path)
    sh(["git", "commit", "-qm", "base"], tmp_path)
    figures = {"concordance": 0.8132, "value": {"saved": {"by_value_at_risk": 1234.0}}}
    (tmp_path / "metrics/survival.json").write_text(json.dumps(figures))
    monkeypatch.chdir(tmp_path)
    text = build_report("main", Path("r.md"))
    section = text.split("### Time to churn (test split)")[1].split("###")[0]
    assert "| concordance (Harrell) | 0.8011 | 0.8132 |" in section
    assert "1,234" in section and "Uno" not in section


# --- Through the real stages, scorer, API and predict (a trained synthetic run) ----------


@pytest.fixture(scope="module")
def served(trained_run, tmp_path_factory):
    """A copy of the trained run in which the real uplift and survival stages have run."""
    from churnlab.data import privacy
    from churnlab.stages import survival, uplift

    root = tmp_path_factory.mktemp("outlook") / "repo"
    shutil.copytree(trained_run, root)
    params = small_params(
        uplift={"candidates": ["t"], "learner": "t", "bootstrap_resamples": 10},
        survival={"n_estimators": 40, "bootstrap_resamples": 20, "n_jobs": 1},
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv(privacy.SALT_ENV, SALT.decode())  # the keys of the regenerated follow-up
        uplift.main(params)
        survival.main(params)
    return root


def _api_predictions(models: Path, rows: pd.DataFrame) -> list[dict]:
    from churnlab.serving.api import create_app
    from churnlab.serving.scorer import Scorer
    from serving_support import to_json_rows
    from test_api import asgi_request

    app = create_app(Scorer.load(models, small_params().serve))
    body = json.dumps({"customers": to_json_rows(rows.drop(columns=[TARGET]))}).encode()
    status, answer = asgi_request(app, "POST", "/predict", body)
    assert status == 200, answer
    return json.loads(answer)["predictions"]


OUTLOOK_FIELDS = {"uplift", "recommended_action", "p_churn_by_horizon", "value_at_risk"}


@pytest.mark.e2e
def test_api_and_predict_carry_uplift_and_survival(served, tmp_path):
    from churnlab import io
    from churnlab.serving.scorer import Scorer

    rows = io.read_table(served / "data/split/test.parquet").head(30)
    answers = _api_predictions(served / "models", rows)
    assert all(set(a) >= OUTLOOK_FIELDS for a in answers)
    assert {a["recommended_action"] for a in answers} <= {"contact", "do not contact"}
    horizons = answers[0]["p_churn_by_horizon"]
    assert list(horizons) == ["30d", "60d", "90d"]
    assert horizons["30d"] <= horizons["60d"] <= horizons["90d"]  # survival falls with time
    scorer = Scorer.load(served / "models", small_params().serve)
    source = tmp_path / "customers.csv"
    rows.drop(columns=[TARGET]).to_csv(source, index=False)
    predict.predict_file(scorer, source, tmp_path / "out", small_params(), "", 0.0)
    table = pd.read_csv(tmp_path / "out/predictions.csv")
    for column in ("uplift", "recommended_action", "p_churn_60d", "median_days_to_churn"):
        assert column in table
    # Value: the survival model's lifetime value; at risk within the value horizon.
    np.testing.assert_allclose(
        table["expected_value_at_risk"],
        (table["value_horizon_churn_probability"] * table["customer_value"]).round(2),
        atol=0.011,
    )
    # Within the budget (10 % of 30 = 3 customers) and only where the gain is positive.
    contacted = table["recommended_action"] == "contact"
    assert contacted.sum() <= 3 and (table.loc[contacted, "uplift_net_gain"] > 0).all()
    assert "uplift model recommends" in (tmp_path / "out/report.html").read_text()


@pytest.mark.e2e
def test_without_campaign_or_timestamps_nothing_changes(served, tmp_path):
    """The stages' skip paths (a table without a treatment column or timestamps) save a
    "skipped" artifact: the answers are those of the churn model alone."""
    from churnlab import io
    from churnlab.stages import survival, uplift

    root = tmp_path / "repo"
    shutil.copytree(served / "models", root / "models")
    shutil.copytree(served / "metrics", root / "metrics")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        uplift.skip("the data has no treatment column")
        survival.skip("the data has no timestamps")
    rows = io.read_table(served / "data/split/test.parquet").head(5)
    answers = _api_predictions(root / "models", rows)
    assert not any(OUTLOOK_FIELDS & set(a) for a in answers)
    assert set(answers[0]) == {"customer_key", "churn_probability", "churn", "risk_tier", "reasons"}


@pytest.mark.e2e
def test_the_stage_measures_the_contact_rule_and_cross_validates(served, tmp_path):
    """The real survival stage: the realized saved value of each policy with paired
    intervals, the cross-validated figures on the classifiers' folds, the offer covariate in
    the saved model; ``churnlab predict`` decides by the rule within the budget."""
    from churnlab import io
    from churnlab.serving.scorer import Scorer

    figures = io.read_json(served / "metrics/survival.json")
    campaign = figures["value"]["campaign"]
    assert campaign["contacted"]["probability"] == campaign["contacted"]["value_at_risk_budget"]
    assert campaign["contacted"]["value_at_risk"] <= campaign["contacted"]["probability"]
    for diff in campaign["differences"].values():
        assert diff["interval"][0] <= diff["value"] <= diff["interval"][1]
    cv = figures["cv"]
    folds = small_params().cv.folds
    assert cv["folds"] == folds and len(cv["xgb_cox"]["folds"]) == folds
    assert cv["xgb_cox"]["integrated_brier"]["mean"] < cv["xgb_cox"]["km_integrated_brier"]["mean"]
    saved = package.load(served / "models/survival.skops")
    assert saved["offer"]["column"] == small_params().uplift.treatment
    rows = io.read_table(served / "data/split/test.parquet").head(40)
    source = tmp_path / "customers.csv"
    rows.drop(columns=[TARGET]).to_csv(source, index=False)
    scorer = Scorer.load(served / "models", small_params().serve)
    predict.predict_file(scorer, source, tmp_path / "out", small_params(), "", 0.0)
    table = pd.read_csv(tmp_path / "out/predictions.csv")
    b = small_params().business
    gain = b.offer_acceptance_rate * table["expected_value_at_risk"] - b.offer_cost
    np.testing.assert_allclose(table["expected_net_gain"], gain, atol=0.011)
    assert (
        table["contact"].sum() <= 4 and (table.loc[table["contact"], "expected_net_gain"] > 0).all()
    )
    calls = pd.read_csv(tmp_path / "out/call_list.csv")
    assert set(table.loc[table["contact"], "customer_key"]) <= set(calls["customer_key"])
