"""Scoring and drift on the real Telco table, trained the README's way (issue 14, observations
1 and 5): the file a model was trained on scores as it is, and a monthly file can be checked.

The stages' Python functions run with the README's data keys in a temporary directory (no
dvc, so not marked e2e). Skips where ``../shared/data/telco_customer_churn.csv`` is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from churnlab import io, package
from churnlab.cli.main import main
from churnlab.data import privacy
from churnlab.features import feature_frame
from churnlab.stages import featurize, prepare, split, train
from conftest import REAL_DATA, SALT, small_params
from serving_support import free_port, request, server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not REAL_DATA.exists(), reason=f"{REAL_DATA} is absent"),
]

README_KEYS = {
    "source": "csv",
    "path": str(REAL_DATA),
    "target": "Churn",
    "positive": "Yes",
    "id": "customerID",
}


@pytest.fixture(scope="module")
def telco(tmp_path_factory) -> Path:
    """A directory in which prepare, split, featurize and train ran on Telco."""
    root = tmp_path_factory.mktemp("telco")
    params = small_params(data=README_KEYS)
    (root / "params.yaml").write_text(yaml.safe_dump(params.model_dump(mode="json")))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv(privacy.SALT_ENV, SALT.decode())
        for stage in (prepare, split, featurize, train):
            stage.main(params)
    return root


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The Telco file as text, exactly as written (the blank TotalCharges are " ")."""
    return pd.read_csv(REAL_DATA, dtype=str, keep_default_na=False)


def cli(root: Path, *args: str) -> int:
    """``churnlab ARGS`` run in ``root``; its exit status."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        with pytest.raises(SystemExit) as done:
            main(["--params", "params.yaml", *args])
    return done.value.code


def test_the_training_file_scores_with_its_ids(telco, raw, capsys):
    code = cli(telco, "score", str(REAL_DATA), "scored.csv")
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["rows"] == report["scored"] == 7043 and report["rejected"] == 0
    assert report["rejects_file"] is None and report["unseen_categories"] == {}
    out = pd.read_csv(telco / "scored.csv", dtype={"customerID": str})
    assert out.columns[0] == "customerID"
    assert out["customerID"].tolist() == raw["customerID"].tolist()  # unchanged, in order
    assert out["error"].isna().all() and out["churn_probability"].between(0, 1).all()
    # the same probabilities as the trained pipeline on the prepared test customers
    test = io.read_table(telco / "data/split/test.parquet")
    pipeline = package.load(telco / "models/pipeline.skops")
    keys = privacy.pseudonymise(out["customerID"], SALT)
    got = out.set_index(keys.to_numpy()).loc[test["customer_key"], "churn_probability"]
    expected = pipeline.predict_proba(feature_frame(test))[:, 1]
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-12)
    # reasons in words, folded to Telco's own columns (no one-hot name such as Contract_Two year)
    assert out["reason_1"].str.match(r"^[A-Za-z]+: .+ (raises|lowers) risk$").all()
    assert set(out["reason_1_column"]) <= set(raw.columns)
    month = out.loc[(raw["Contract"] == "Month-to-month").to_numpy(), "reason_1"]
    assert "Contract: Month-to-month raises risk" in set(month)


def test_without_the_id_and_target_columns_and_with_blank_totals(telco, raw, capsys):
    source = telco / "no_id.csv"
    raw.drop(columns=["customerID", "Churn"]).to_csv(source, index=False)
    assert cli(telco, "score", str(source), "no_id_scored.csv") == 0
    assert json.loads(capsys.readouterr().out)["scored"] == 7043
    out = pd.read_csv(telco / "no_id_scored.csv")
    assert "customerID" not in out.columns
    blank = (raw["TotalCharges"] == " ").to_numpy()
    assert blank.sum() == 11  # imputed as in training, not rejected
    assert out.loc[blank, "churn_probability"].between(0, 1).all()


def test_a_bad_row_is_listed_and_makes_the_exit_status_non_zero(telco, raw, capsys):
    bad = raw.copy()
    bad.loc[3, "MonthlyCharges"] = "abc"
    bad.loc[4, "Contract"] = "Three year"
    source = telco / "bad.csv"
    bad.to_csv(source, index=False)
    assert cli(telco, "score", str(source), "bad_scored.csv") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["rejected"] == 1 and report["scored"] == 7042
    assert report["unseen_categories"] == {"Contract": {"Three year": 1}}  # scored, listed
    assert report["rejects_file"] == "bad_scored.rejects.csv"
    rejects = pd.read_csv(telco / report["rejects_file"], dtype={"customerID": str})
    assert rejects.to_dict("records") == [
        {
            "row": 4,
            "customerID": raw.loc[3, "customerID"],
            "reason": "MonthlyCharges: expected a number, got 'abc'",
        }
    ]
    out = pd.read_csv(telco / "bad_scored.csv")
    assert np.isnan(out.loc[3, "churn_probability"]) and out.loc[3, "error"].startswith("Monthly")
    assert out.loc[4, "churn_probability"] > 0
    # A stated share of rejects is accepted
    assert cli(telco, "score", str(source), "bad_scored.csv", "--max-reject-share", "0.01") == 0


def unchanged_after(telco: Path, source: Path, message: str, capsys) -> None:
    """Scoring ``source`` is a user error with ``message``; the earlier output stays."""
    target = telco / "kept.csv"
    target.write_text("earlier output\n")
    assert cli(telco, "score", str(source), str(target)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert target.read_text() == "earlier output\n"


def test_bad_files_are_user_errors_and_overwrite_nothing(telco, raw, capsys):
    raw.drop(columns=["tenure"]).to_csv(telco / "no_tenure.csv", index=False)
    unchanged_after(telco, telco / "no_tenure.csv", "missing columns ['tenure']", capsys)
    (telco / "empty.csv").write_text("")
    unchanged_after(telco, telco / "empty.csv", "empty.csv is empty", capsys)
    raw.head(0).to_csv(telco / "header.csv", index=False)
    unchanged_after(telco, telco / "header.csv", "header.csv has no data rows", capsys)
    raw.head(0).to_parquet(telco / "none.parquet")
    unchanged_after(telco, telco / "none.parquet", "none.parquet has no data rows", capsys)
    raw.assign(shoe_size="42").to_csv(telco / "extra.csv", index=False)
    unchanged_after(telco, telco / "extra.csv", "unknown columns ['shoe_size']", capsys)
    before = (telco / "extra.csv").read_bytes()
    assert cli(telco, "score", "extra.csv", "extra.csv") == 2
    assert "is the input file" in capsys.readouterr().err
    assert (telco / "extra.csv").read_bytes() == before


def test_latin1_semicolon_and_parquet_files_read_like_training(telco, raw, capsys):
    """Training's reader sniffs the dialect; a French export (;, Latin-1) scores the same."""
    french = raw.copy()
    french.loc[0, "PaymentMethod"] = "Chèque électronique"
    french.to_csv(telco / "french.csv", sep=";", index=False, encoding="latin-1")
    raw.to_parquet(telco / "telco.parquet")
    assert cli(telco, "score", "french.csv", "french_scored.csv") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unseen_categories"] == {"PaymentMethod": {"Chèque électronique": 1}}
    assert cli(telco, "score", "telco.parquet", "parquet_scored.parquet") == 0
    capsys.readouterr()
    french_scores = pd.read_csv(telco / "french_scored.csv")["churn_probability"]
    parquet_scores = pd.read_parquet(telco / "parquet_scored.parquet")["churn_probability"]
    np.testing.assert_allclose(french_scores.iloc[1:], parquet_scores.iloc[1:], atol=1e-12)


def test_the_api_takes_the_users_raw_values(telco, raw, capsys):
    raw.head(1).to_csv(telco / "first.csv", index=False)
    assert cli(telco, "score", "first.csv", "first_scored.csv") == 0
    batch = pd.read_csv(telco / "first_scored.csv")["churn_probability"].iloc[0]
    customer = raw.drop(columns=["Churn"]).iloc[0].to_dict()
    customer["SeniorCitizen"] = int(customer["SeniorCitizen"])
    assert customer["Partner"] == "Yes"
    port = free_port()
    with server(["churnlab", "serve", "--port", str(port)], telco, port) as url:
        status, answer = request(f"{url}/predict", {"customers": [customer]})
        assert status == 200, answer
        prediction = answer["predictions"][0]
        assert prediction["customer_key"] == customer["customerID"]
        assert prediction["churn_probability"] == pytest.approx(batch, abs=1e-12)
        for reason in prediction["reasons"]:  # folded and in words, as in `churnlab predict`
            assert reason["feature"] in raw.columns and reason["text"].endswith(" risk")
            assert reason["text"].startswith(f"{reason['feature']}: ")
        for change, field in [({"Partner": "maybe"}, "Partner"), ({"tenure": "soon"}, "tenure")]:
            status, answer = request(f"{url}/predict", {"customers": [{**customer, **change}]})
            assert status == 422 and field in answer["detail"], answer
        status, answer = request(f"{url}/predict", {"customers": [{"gender": "Male"}]})
        assert status == 422 and "tenure" in answer["detail"]  # required: never missing


def test_predict_on_the_training_file_gives_a_call_list_with_the_original_ids(telco, raw, capsys):
    """Target: train, then `churnlab predict` on the same file: every customer scored, none
    rejected, the call list under the original customerID, reasons in words."""
    assert cli(telco, "predict", str(REAL_DATA), "--output", "week") == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["rows"] == counts["scored"] == 7043 and counts["rejected"] == 0
    assert counts["called"] == 705 and counts["unseen_categories"] == {}
    calls = pd.read_csv(telco / "week/call_list.csv", dtype={"customerID": str})
    assert calls.columns[1] == "customerID" and calls["customerID"].isin(raw["customerID"]).all()
    assert pd.read_csv(telco / "week/rejected.csv").empty
    predictions = pd.read_csv(telco / "week/predictions.csv", dtype={"customerID": str})
    assert predictions["customerID"].tolist() == raw["customerID"].tolist()
    # the same probabilities as `churnlab score` (one reader, one conversion)
    assert cli(telco, "score", str(REAL_DATA), "same.csv", "--reasons", "0") == 0
    capsys.readouterr()
    scored = pd.read_csv(telco / "same.csv")["churn_probability"]
    np.testing.assert_allclose(predictions["churn_probability"], scored, atol=1e-6)
    assert not predictions["reason_1"].str.contains("_").any()


def test_predict_rejects_and_unseen_categories_on_telco(telco, raw, capsys):
    """Bad input to predict: an unreadable number rejects its row (exit 2, nothing written,
    unless accepted); a new category is scored, listed, and keeps exit status 0."""
    bad = raw.copy()
    bad.loc[3, "MonthlyCharges"] = "abc"
    bad.loc[4, "Contract"] = "Three year"
    bad.to_csv(telco / "bad_week.csv", index=False)
    assert cli(telco, "predict", "bad_week.csv", "--output", "bad_week") == 2
    err = capsys.readouterr().err
    assert f"row 4 (customerID {raw.loc[3, 'customerID']}): MonthlyCharges: expected" in err
    assert not (telco / "bad_week").exists()
    args = ("--output", "bad_week", "--accept-rejected", "0.01")
    assert cli(telco, "predict", "bad_week.csv", *args) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["rejected"] == 1 and counts["unseen_categories"] == {
        "Contract": {"Three year": 1}
    }
    page = (telco / "bad_week/report.html").read_text()
    assert "Contract: 1 rows with values not seen in training (&#x27;Three year&#x27;)" in page


def drift(telco: Path, current: Path, capsys) -> tuple[int, dict | None, str]:
    out = telco / f"drift-{current.stem}"
    code = cli(telco, "drift", "--current", str(current), "--output", str(out))
    err = capsys.readouterr().err
    report = json.loads((out / "drift.json").read_text()) if (out / "drift.json").exists() else None
    return code, report, err


def test_drift_on_monthly_files_with_the_training_columns(telco, raw, capsys):
    """The same customers do not alert; MonthlyCharges raised 20 % does (observation 5)."""
    code, report, _ = drift(telco, REAL_DATA, capsys)
    assert code == 0 and report["drifted_features"] == []
    assert report["rows"] == {"reference": 4930, "current": 7043}
    assert report["prediction"]["psi"] < 0.01
    dearer = raw.assign(MonthlyCharges=(raw["MonthlyCharges"].astype(float) * 1.2).round(2))
    dearer.to_csv(telco / "dearer.csv", index=False)
    code, report, _ = drift(telco, telco / "dearer.csv", capsys)
    assert code == 1 and report["drifted_features"] == ["MonthlyCharges"]
    charges = report["features"]["MonthlyCharges"]
    mean = raw["MonthlyCharges"].astype(float).mean()
    assert charges["current_mean"] == pytest.approx(1.2 * mean, rel=1e-3)


def test_drift_user_errors_exit_2_not_1(telco, raw, capsys):
    raw.head(0).to_csv(telco / "nobody.csv", index=False)
    raw.assign(TotalCharges="").to_csv(telco / "no_totals.csv", index=False)
    for name, message in [
        ("nobody.csv", "has no data rows"),
        ("no_totals.csv", "column 'TotalCharges' has no values"),
    ]:
        code, _, err = drift(telco, telco / name, capsys)
        assert code == 2 and message in err and "Traceback" not in err
