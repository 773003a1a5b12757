"""The contact decision by value at risk in ``churnlab score`` and the API (issue 18 item 3).

The scorer adds ``expected_net_gain`` and ``contact`` per row from the rule of
:mod:`churnlab.evaluation.business` (no budget: one row is not a campaign); a hand-computed
case, then a real saved survival model beside a trained churn model: the score file, the API
and ``churnlab predict`` decide the same rows alike (predict within its budget).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from churnlab import io, package
from churnlab.config.columns import TARGET
from churnlab.config.params import BusinessParams, ServeParams
from churnlab.config.survival import SurvivalParams
from churnlab.features.groups import feature_frame
from churnlab.serving import predict
from churnlab.serving.batch import score_file
from churnlab.serving.scorer import Scorer
from churnlab.survival import artifact
from churnlab.survival.models import fit_model
from conftest import small_params

B = BusinessParams(offer_acceptance_rate=0.3, offer_cost=50.0, contact_budget_share=0.1)


def test_a_hand_computed_row_and_no_budget_per_row():
    scorer = Scorer(Pipeline([("model", LogisticRegression())]), {}, ServeParams(), business=B)
    # value 1,000 x probability 0.2 within the horizon = 200 at risk: 0.3 x 200 - 50 = 10.
    value = np.array([1000.0, 400.0, 2000.0, 500.0, 1000.0])
    probability = np.array([0.2, 0.25, 0.5, 0.3, np.nan])
    out = scorer.decision(value * probability)
    np.testing.assert_allclose(out["expected_net_gain"], [10.0, -20.0, 250.0, -5.0, np.nan])
    # Three positive gains are all contacted although the 10 % budget would allow one.
    assert out["contact"].tolist() == [True, False, True, False, False]
    assert out["contact"].dtype == bool


def test_without_a_survival_model_the_columns_are_absent():
    scorer = Scorer(Pipeline([("model", LogisticRegression())]), {}, ServeParams())
    dtypes = scorer.output_dtypes()
    assert "contact" not in dtypes and "expected_net_gain" not in dtypes
    assert scorer.business == BusinessParams()  # params' defaults when none are given


@pytest.fixture(scope="module")
def served(trained_run, tmp_path_factory):
    """The trained run's models with a real small Cox model saved beside them (durations drawn
    from the churn model's own features, so its value at risk varies by customer)."""
    root = tmp_path_factory.mktemp("score_decisions")
    shutil.copytree(trained_run / "models", root / "models")
    scorer = Scorer.load(root / "models", small_params().serve)
    train = feature_frame(io.read_table(trained_run / "data/split/train.parquet"))
    X = pd.DataFrame(np.asarray(scorer.features(train)), columns=scorer.feature_names)
    rng = np.random.default_rng(5)
    risk = scorer.pipeline.predict_proba(train)[:, 1]
    duration = np.ceil(rng.exponential(120 / (0.2 + 2 * risk))).clip(1, 365)
    data = (X, duration, duration < 365)
    p = SurvivalParams(n_estimators=30, n_jobs=1)
    model = fit_model("xgb_cox", p, data, data)
    bundle = artifact.bundle("xgb_cox", model, X.columns, p, 365)
    package.save(bundle, root / "models/survival.skops")
    return root, io.read_table(trained_run / "data/split/test.parquet").head(60)


@pytest.mark.e2e
def test_score_file_api_and_predict_decide_alike(served):
    from churnlab.serving.api import create_app
    from serving_support import to_json_rows
    from test_api import asgi_request

    root, rows = served
    first = Scorer.load(root / "models", small_params().serve)
    at_risk = first.score(rows.drop(columns=[TARGET]))["value_at_risk"].to_numpy("float64")
    # An offer cost at the median gain: about half the customers are worth a call.
    b = B.model_copy(update={"offer_cost": round(0.3 * float(np.median(at_risk)), 2)})
    scorer = Scorer.load(root / "models", small_params().serve, business_params=b)
    source = root / "customers.csv"
    rows.drop(columns=[TARGET]).to_csv(source, index=False)
    score_file(scorer, source, root / "scored.csv")
    scored = pd.read_csv(root / "scored.csv")
    gain = b.offer_acceptance_rate * scored["value_at_risk"] - b.offer_cost
    np.testing.assert_allclose(scored["expected_net_gain"], gain, atol=0.006)
    assert scored["contact"].tolist() == (gain > 0).tolist()
    assert 0 < scored["contact"].sum() < len(scored) * 0.9  # past the 10 % budget, not all

    body = json.dumps({"customers": to_json_rows(rows.drop(columns=[TARGET]))}).encode()
    status, answer = asgi_request(create_app(scorer), "POST", "/predict", body)
    assert status == 200, answer
    answers = json.loads(answer)["predictions"]
    assert [a["contact"] for a in answers] == scored["contact"].tolist()
    np.testing.assert_allclose([a["expected_net_gain"] for a in answers], gain, atol=0.006)

    params = small_params(business=b.model_dump())
    predict.predict_file(scorer, source, root / "out", params, "", 0.0)
    table = pd.read_csv(root / "out/predictions.csv")
    np.testing.assert_allclose(table["expected_net_gain"], scored["expected_net_gain"], atol=0.011)
    # predict ranks the whole file: its contacts are the budget's share of the score's.
    assert table["contact"].sum() == min(int(np.ceil(0.1 * len(table))), scored["contact"].sum())
    assert not (table["contact"] & ~scored["contact"]).any()


@pytest.mark.e2e
def test_spark_scoring_writes_the_same_decisions(served, spark):
    from churnlab.config.columns import CUSTOMER_KEY
    from churnlab.serving.batch import score_on_spark

    root, rows = served
    scorer = Scorer.load(root / "models", small_params().serve, business_params=B)
    source = root / "customers.parquet"
    rows.drop(columns=[TARGET]).to_parquet(source, index=False)
    score_file(scorer, source, root / "local.parquet")
    score_on_spark(scorer, str(source), str(root / "spark.parquet"), small_params().engine.spark)
    expected = pd.read_parquet(root / "local.parquet").set_index(CUSTOMER_KEY)
    got = pd.read_parquet(root / "spark.parquet").set_index(CUSTOMER_KEY).loc[expected.index]
    assert got["contact"].tolist() == expected["contact"].tolist()
    np.testing.assert_allclose(got["expected_net_gain"], expected["expected_net_gain"], atol=1e-9)
    assert expected["expected_net_gain"].notna().all()
