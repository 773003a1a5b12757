"""``churnlab predict``: every current customer scored, the call list, reasons, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.cli.main import main
from churnlab.config.columns import TARGET
from churnlab.errors import UserError
from churnlab.evaluation import business
from churnlab.features import feature_frame
from churnlab.serving.predict import predict_file
from churnlab.serving.scorer import Scorer
from conftest import REPO_ROOT, small_params

pytestmark = pytest.mark.e2e

OUTPUTS = ("predictions.csv", "call_list.csv", "rejected.csv", "report.html")


@pytest.fixture(scope="module")
def scorer(trained_run) -> Scorer:
    return Scorer.load(trained_run / "models", small_params().serve)


@pytest.fixture(scope="module")
def customers(trained_run) -> pd.DataFrame:
    """The user's current customers: everyone of the prepared table, without the label."""
    prepared = io.read_table(trained_run / "data/prepared/customers.parquet")
    return prepared.drop(columns=[TARGET])


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"customer_key": "str", "customerID": "str"})


def run(scorer, frame: pd.DataFrame, tmp_path, params=None, value_column="", accept=0.0):
    source = tmp_path / "customers.csv"
    frame.to_csv(source, index=False)  # full precision (io.write_csv keeps 6 digits)
    out = tmp_path / "out"
    counts = predict_file(scorer, source, out, params or small_params(), value_column, accept)
    return counts, out


def test_every_customer_is_scored_with_reasons_and_an_action(scorer, customers, tmp_path):
    counts, out = run(scorer, customers, tmp_path)
    n = len(customers)
    assert counts == {
        "rows": n,
        "scored": n,
        "rejected": 0,
        "called": math.ceil(0.1 * n),
        "unseen_categories": {},
    }
    predictions = read(out / "predictions.csv")
    assert predictions["customer_key"].tolist() == customers["customer_key"].tolist()
    expected = scorer.pipeline.predict_proba(feature_frame(customers))[:, 1]
    np.testing.assert_allclose(predictions["churn_probability"], expected, atol=1e-6)
    np.testing.assert_allclose(
        predictions["expected_value_at_risk"], predictions["churn_probability"] * 500, atol=0.01
    )
    assert set(predictions["risk_tier"]) <= {"low", "medium", "high"}
    assert predictions["reason_1"].str.contains(r": .* (?:raise|lower)s? risk$", regex=True).all()
    assert not predictions["reason_1"].str.contains("contract_").any()
    actions = {r.action for r in small_params().actions.rules.values()}
    assert set(predictions["suggested_action"]) <= actions | {small_params().actions.default}
    assert read(out / "rejected.csv").empty


def test_call_list_is_the_budget_ranked_by_value_at_risk(scorer, customers, tmp_path):
    _, out = run(scorer, customers, tmp_path)
    calls = read(out / "call_list.csv")
    predictions = read(out / "predictions.csv")
    assert len(calls) == math.ceil(0.1 * len(customers))
    assert calls["rank"].tolist() == list(range(1, len(calls) + 1))
    assert calls["expected_value_at_risk"].is_monotonic_decreasing
    cut = calls["expected_value_at_risk"].min()
    left_out = predictions[~predictions["customer_key"].isin(calls["customer_key"])]
    assert left_out["expected_value_at_risk"].max() <= cut


@pytest.mark.parametrize("budget", [None, 0.3])  # None: the params' default budget
def test_call_list_catches_the_churners_the_evaluation_promises(
    scorer, customers, trained_run, tmp_path, budget
):
    """Target: the call list at the budget catches at least as many true churners (the hidden
    truth of the synthetic generator: the sum of the called customers' true churn
    probabilities) as the test-split evaluation predicts at that budget (its precision at the
    budget times the customers called). No tolerance: the run is seeded."""
    params = small_params(business={"contact_budget_share": budget} if budget else {})
    _, out = run(scorer, customers, tmp_path, params)
    calls = read(out / "call_list.csv")
    truth = io.read_table(trained_run / "data/prepared/truth.parquet")
    truth = truth.set_index("customer_key")["churn_probability"]
    caught = float(truth.loc[calls["customer_key"]].sum())  # expected true churners called
    test = io.read_table(trained_run / "data/split/test.parquet")
    scores = package.load(trained_run / "models/pipeline.skops").predict_proba(feature_frame(test))[
        :, 1
    ]
    promised = business.at_budget(test[TARGET].to_numpy(), scores, params.business)
    precision = promised["churners_caught"] / promised["contacted"]
    print(
        f"budget {params.business.contact_budget_share}: called {len(calls)}, expected true "
        f"churners {caught:.1f}, promised {precision * len(calls):.1f}"
    )
    assert caught >= precision * len(calls)
    assert caught > 1.5 * truth.mean() * len(calls)  # far better than calling at random


def test_a_value_column_weighs_the_risk(scorer, customers, tmp_path):
    frame = customers.copy()
    frame["yearly_value"] = 100.0
    frame.loc[7, "yearly_value"] = 1_000_000.0
    _, out = run(scorer, frame, tmp_path, value_column="yearly_value")
    calls = read(out / "call_list.csv")
    assert calls.loc[0, "customer_key"] == frame.loc[7, "customer_key"]
    # The CSV rounds the probability to 6 decimals (an error up to 5e-7 times the value) and
    # the value at risk to 2 (up to 0.005): the product of the printed columns is that close.
    gap = calls["expected_value_at_risk"] - calls["churn_probability"] * calls["customer_value"]
    bound = 0.005 + 5e-7 * calls["customer_value"] + 1e-9
    assert (gap.abs() <= bound).all(), gap[gap.abs() > bound]
    assert "Customer value from column yearly_value" in (out / "report.html").read_text()


def test_original_ids_pass_through(scorer, customers, tmp_path):
    frame = customers.rename(columns={"customer_key": "customerID"})
    frame["customerID"] = [f"{i:04d}-ABCDE" for i in range(len(frame))]
    params = small_params(data={"id": "customerID"})
    _, out = run(scorer, frame, tmp_path, params)
    predictions = read(out / "predictions.csv")
    assert predictions.columns[0] == "customerID"
    assert predictions["customerID"].tolist() == frame["customerID"].tolist()


def test_the_report_has_every_section(scorer, customers, tmp_path):
    _, out = run(scorer, customers.head(500), tmp_path)
    page = (out / "report.html").read_text()
    for anchor in ("headline", "call-list", "drivers", "curves", "data-quality", "glossary"):
        assert f'<section id="{anchor}">' in page
    assert "expected to save" in page and "EUR" in page
    assert page.count("data:image/png;base64,") == 2
    first = read(out / "call_list.csv")["customer_key"].iloc[0]
    assert first in page


# Bad input: one clear message, exit status 2, nothing overwritten.


@pytest.fixture
def old_outputs(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUTS:
        (out / name).write_text("previous run\n")
    return out


def assert_untouched(out):
    for name in OUTPUTS:
        assert (out / name).read_text() == "previous run\n", name


def predict_cli(trained_run, source, out, capsys, *extra):
    args = [str(source), "--output", str(out), "--models", str(trained_run / "models"), *extra]
    with pytest.raises(SystemExit) as done:
        main(["--params", str(REPO_ROOT / "params.yaml"), "predict", *args])
    return done.value.code, capsys.readouterr()


def test_a_missing_column_is_named(trained_run, customers, tmp_path, old_outputs, capsys):
    source = tmp_path / "c.csv"
    io.write_csv(customers.drop(columns=["tenure_days"]), source)
    code, streams = predict_cli(trained_run, source, old_outputs, capsys)
    assert code == 2
    assert "required columns are missing: ['tenure_days']" in streams.err
    assert str(source) in streams.err and "Traceback" not in streams.err
    assert_untouched(old_outputs)


def test_an_unparseable_number_rejects_its_row(
    trained_run, customers, tmp_path, old_outputs, capsys
):
    frame = customers.head(300).astype(object)
    frame.loc[5, "logins_30d"] = "lots"
    source = tmp_path / "c.csv"
    io.write_csv(frame, source)
    code, streams = predict_cli(trained_run, source, old_outputs, capsys)
    assert code == 2
    key = frame.loc[5, "customer_key"]
    assert f"row 6 (customer_key {key}): logins_30d: expected number" in streams.err
    assert "1 of 300 rows cannot be scored" in streams.err
    assert_untouched(old_outputs)
    code, streams = predict_cli(
        trained_run, source, old_outputs, capsys, "--accept-rejected", "0.01"
    )
    assert code == 0
    rejected = read(old_outputs / "rejected.csv")
    assert rejected.to_dict("records") == [
        {"customer_key": key, "reason": "logins_30d: expected number"}
    ]
    assert key not in read(old_outputs / "predictions.csv")["customer_key"].tolist()
    assert '"rejected": 1' in streams.out


def test_a_new_category_is_scored_and_listed(trained_run, customers, tmp_path, capsys):
    frame = customers.head(300).copy()
    frame.loc[3, "contract"] = "three-year"
    source = tmp_path / "c.csv"
    io.write_csv(frame, source)
    code, streams = predict_cli(trained_run, source, tmp_path / "out", capsys)
    assert code == 0  # scored, so not a rejected row: the exit status stays 0
    assert '"unseen_categories": {"contract": {"three-year": 1}}' in streams.out
    assert len(read(tmp_path / "out/predictions.csv")) == 300
    assert read(tmp_path / "out/rejected.csv").empty
    page = (tmp_path / "out/report.html").read_text()
    assert "contract: 1 rows with values not seen in training (&#x27;three-year&#x27;)" in page


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "is empty"), ("customer_key,tenure_days\n", "has no data rows")],
    ids=["no bytes", "header only"],
)
def test_an_empty_file_is_refused(trained_run, tmp_path, old_outputs, capsys, content, message):
    source = tmp_path / "c.csv"
    source.write_text(content)
    code, streams = predict_cli(trained_run, source, old_outputs, capsys)
    assert code == 2 and message in streams.err and "Traceback" not in streams.err
    assert_untouched(old_outputs)


@pytest.mark.parametrize(
    ("cell", "message"),
    [("lots", "1 not a number cells (e.g. 'lots')"), ("-5", "1 negative cells (e.g. '-5')")],
)
def test_a_bad_value_cell_stops_before_writing(
    trained_run, customers, tmp_path, old_outputs, capsys, cell, message
):
    """Text or a negative value in the value column is a user error, as in evaluate: a call
    list built on a made-up value would mislead; a blank cell still gets the flat value."""
    frame = customers.head(40).copy()
    frame["yearly_value"] = "100"
    frame.loc[3, "yearly_value"] = cell
    source = tmp_path / "c.csv"
    frame.to_csv(source, index=False)
    code, streams = predict_cli(
        trained_run, source, old_outputs, capsys, "--value-column", "yearly_value"
    )
    assert code == 2 and "Traceback" not in streams.err
    assert f"value column 'yearly_value' has {message}" in streams.err
    assert_untouched(old_outputs)


def test_a_blank_value_cell_gets_the_flat_value(scorer, customers, tmp_path):
    frame = customers.head(40).copy()
    frame["yearly_value"] = 100.0
    frame.loc[3, "yearly_value"] = np.nan
    _, out = run(scorer, frame, tmp_path, value_column="yearly_value")
    predictions = read(out / "predictions.csv").set_index("customer_key")
    flat = small_params().business.retained_customer_value
    values = predictions.loc[frame["customer_key"], "customer_value"].to_numpy()
    np.testing.assert_allclose(values, np.where(np.arange(40) == 3, flat, 100.0))
    assert "1 customers have no usable yearly_value" in (out / "report.html").read_text()


def test_accept_rejected_must_be_a_share(trained_run, customers, tmp_path, capsys):
    code, streams = predict_cli(
        trained_run, tmp_path / "x.csv", tmp_path, capsys, "--accept-rejected", "5"
    )
    assert code == 2 and "--accept-rejected must be a share in [0, 1]" in streams.err


def test_read_customers_is_the_one_reader(scorer, tmp_path):
    with pytest.raises(UserError, match=r"nope\.csv does not exist"):
        predict_file(scorer, tmp_path / "nope.csv", tmp_path / "out", small_params(), "", 0.0)
    with pytest.raises(UserError, match="unsupported format"):
        (tmp_path / "c.xlsx").write_text("x")
        predict_file(scorer, tmp_path / "c.xlsx", tmp_path / "out", small_params(), "", 0.0)
    assert not (tmp_path / "out").exists()


def test_batch_scoring_shows_no_progress_bar_in_a_log(trained_run, customers, tmp_path, capsys):
    """The scoring progress bar is for terminals: a log (stderr not a TTY) stays clean."""
    source = tmp_path / "c.csv"
    io.write_csv(customers.head(50), source)
    args = [str(source), str(tmp_path / "scored.csv"), "--models", str(trained_run / "models")]
    with pytest.raises(SystemExit) as done:
        main(["--params", str(REPO_ROOT / "params.yaml"), "score", *args])
    err = capsys.readouterr().err
    assert done.value.code == 0
    assert "scoring" not in err and "\r" not in err
