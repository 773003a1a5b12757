"""Batch scoring (``churnlab score``): chunked, validated per row, equal to the offline model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.data.input_contract import input_schema, validate_frame
from churnlab.errors import UserError
from churnlab.features import feature_frame
from churnlab.serving.batch import score_file, score_report
from churnlab.serving.scorer import Scorer
from conftest import small_params


@pytest.fixture(scope="module")
def scorer(trained_run) -> Scorer:
    serve = small_params().serve.model_copy(update={"chunk_rows": 70})
    return Scorer.load(trained_run / "models", serve)


@pytest.fixture(scope="module")
def rows(trained_run) -> pd.DataFrame:
    return io.read_table(trained_run / "data/split/test.parquet")


def expected(trained_run, frame) -> np.ndarray:
    pipeline = package.load(trained_run / "models/pipeline.skops")
    return pipeline.predict_proba(feature_frame(frame))[:, 1]


def test_parquet_in_chunks_equals_offline(scorer, rows, trained_run, tmp_path):
    source = tmp_path / "in.parquet"
    io.write_table(rows, source)
    counts = score_file(scorer, source, tmp_path / "out.parquet")
    assert counts == {"rows": len(rows), "scored": len(rows), "rejected": 0}
    assert len(rows) > 3 * scorer.serve.chunk_rows  # several chunks really ran
    out = io.read_table(tmp_path / "out.parquet")
    assert out["customer_key"].tolist() == rows["customer_key"].tolist()
    np.testing.assert_allclose(out["churn_probability"], expected(trained_run, rows), atol=1e-9)
    assert out["error"].isna().all()


def test_csv_bad_rows_are_reported_and_the_rest_scored(scorer, rows, trained_run, tmp_path):
    frame = rows.head(200).copy()
    text = frame.astype(object)
    text.loc[5, "logins_30d"] = "lots"
    text.loc[150, "tenure_days"] = None  # required: never missing in train
    text.loc[7, "signup_date"] = "yesterday"
    source = tmp_path / "in.csv"
    text.to_csv(source, index=False)
    counts = score_file(scorer, source, tmp_path / "out.csv")
    assert counts == {"rows": 200, "scored": 197, "rejected": 3}
    out = pd.read_csv(tmp_path / "out.csv")
    assert "logins_30d: expected number" in out.loc[5, "error"]
    assert "tenure_days: required value missing" in out.loc[150, "error"]
    assert "signup_date: expected datetime" in out.loc[7, "error"]
    good = out["error"].isna().to_numpy()
    assert np.isnan(out.loc[~good, "churn_probability"]).all()
    # CSV round-trips floats at full precision through pyarrow's writer
    np.testing.assert_allclose(
        out.loc[good, "churn_probability"], expected(trained_run, frame)[good], atol=1e-9
    )


def test_unknown_columns_refuse_the_file(scorer, rows, tmp_path):
    source = tmp_path / "in.parquet"
    io.write_table(rows.head(5).assign(shoe_size=1), source)
    with pytest.raises(UserError, match="shoe_size"):
        score_file(scorer, source, tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_unsupported_format(scorer, tmp_path):
    (tmp_path / "in.xlsx").write_text("x")
    with pytest.raises(UserError, match="unsupported format"):
        score_file(scorer, tmp_path / "in.xlsx", tmp_path / "out.parquet")


def test_schema_from_train_split(split_parts):
    schema = input_schema(feature_frame(split_parts["train"]))
    assert schema["logins_30d"] == {"kind": "number", "required": True}
    assert schema["age"]["required"] is False  # the generator leaves 3 % missing
    assert schema["plan"]["categories"] == ["basic", "premium", "standard"]
    assert schema["ticket_text"]["kind"] == "text"
    assert schema["signup_date"]["kind"] == "datetime"
    assert schema["ticket_text"]["required"] is False
    small = {"logins_30d": schema["logins_30d"], "age": schema["age"]}
    clean, errors = validate_frame(pd.DataFrame({"logins_30d": ["1", "x", None]}), small)
    assert clean["logins_30d"].tolist()[0] == 1.0 and clean["age"].isna().all()
    assert errors.tolist() == [
        None,
        "logins_30d: expected number",
        "logins_30d: required value missing",
    ]


def test_risk_tiers_follow_params():
    from churnlab.config.params import ServeParams
    from churnlab.serving.scorer import risk_tiers

    serve = ServeParams(tier_names=["low", "medium", "high"], tier_bounds=[0.2, 0.5])
    got = risk_tiers(np.array([0.0, 0.19, 0.2, 0.49, 0.5, 1.0]), serve)
    assert list(got) == ["low", "low", "medium", "medium", "high", "high"]
    with pytest.raises(ValueError, match="one more entry"):
        ServeParams(tier_names=["a"], tier_bounds=[0.5])


def test_time_zones_and_integer_categories_are_scored_row_by_row(scorer, rows, tmp_path):
    """Issue 15, items 4 and 7: a time-zoned date gave a traceback; a category column stored
    as integers failed the whole file."""
    frame = rows.head(4).copy()
    frame["signup_date"] = frame["signup_date"].dt.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    frame.to_csv(tmp_path / "zoned.csv", index=False)
    assert score_file(scorer, tmp_path / "zoned.csv", tmp_path / "zoned_out.csv")["scored"] == 4
    coded = rows.head(4).assign(region=[1, 2, 1, 3])
    io.write_table(coded, tmp_path / "coded.parquet")
    out = tmp_path / "coded_out.parquet"
    assert score_report(scorer, tmp_path / "coded.parquet", out)["unseen_categories"] == {
        "region": {"1": 2, "2": 1, "3": 1}
    }
    assert io.read_table(out)["error"].isna().all()


def test_the_input_is_never_overwritten_and_empty_inputs_agree(scorer, rows, tmp_path):
    source = tmp_path / "in.csv"
    rows.head(3).to_csv(source, index=False)
    before = source.read_bytes()
    with pytest.raises(UserError, match="is the input file"):
        score_file(scorer, source, tmp_path / "." / "in.csv")
    assert source.read_bytes() == before
    rows.head(0).to_csv(tmp_path / "header.csv", index=False)
    io.write_table(rows.head(0), tmp_path / "none.parquet")
    for name in ("header.csv", "none.parquet"):
        with pytest.raises(UserError, match=f"{name} has no data rows"):
            score_file(scorer, tmp_path / name, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"threshold": "high"}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"input_schema": {"age": {"kind": "blob", "required": False}}}, "input_schema.age"),
    ],
)
def test_a_broken_metadata_file_is_named(trained_run, tmp_path, change, named):
    """Issue 15, item 7: these were blamed on the input rows or gave a traceback."""
    import shutil

    models = tmp_path / "models"
    shutil.copytree(trained_run / "models", models)
    meta = io.read_json(models / "metadata.json")
    io.write_json({**meta, **change}, models / "metadata.json")
    with pytest.raises(UserError, match=f"metadata.json: {named}"):
        Scorer.load(models, small_params().serve)
