"""The featurizer's NumPy fast path equals the fitted featurizer, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from churnlab import package
from churnlab.config import paths
from churnlab.config.params import ServeParams
from churnlab.data.input_contract import input_schema, validate_frame
from churnlab.features import feature_frame
from churnlab.features.fastpath import compile_featurizer
from churnlab.serving.scorer import Scorer


def columns_of(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name: frame[name].to_numpy(dtype=object) for name in frame.columns}


def awkward_rows(frame: pd.DataFrame, schema: dict) -> pd.DataFrame:
    """Rows with what a request may carry: missing values everywhere optional, categories
    never seen in training, empty and unseen ticket words, dates far outside train."""
    rows = frame.head(6).copy()
    for name in rows.columns:
        rows[name] = rows[name].astype(object)
        if not schema[name]["required"]:
            rows.iloc[0, rows.columns.get_loc(name)] = None
    rows.iloc[1, rows.columns.get_loc("region")] = "Atlantis"
    rows.iloc[1, rows.columns.get_loc("plan")] = "platinum"
    rows.iloc[2, rows.columns.get_loc("ticket_text")] = "zzz qqq never seen words"
    rows.iloc[3, rows.columns.get_loc("ticket_text")] = ""
    rows.iloc[4, rows.columns.get_loc("signup_date")] = pd.Timestamp("1999-02-28")
    rows.iloc[5, rows.columns.get_loc("logins_30d")] = 0  # zero denominator of a ratio
    return rows


def test_fast_path_equals_the_featurizer_on_held_out_customers(fitted_featurizer, split_parts):
    X = feature_frame(split_parts["test"])[list(fitted_featurizer.feature_names_in_)]
    fast = compile_featurizer(fitted_featurizer)
    assert fast is not None and fast.feature_names == list(
        fitted_featurizer.get_feature_names_out()
    )
    expected = fitted_featurizer.transform(X).to_numpy(dtype="float64")
    assert np.array_equal(fast.transform(columns_of(X)), expected, equal_nan=True)


def test_fast_path_handles_missing_unseen_and_odd_values(fitted_featurizer, split_parts):
    X = feature_frame(split_parts["test"])[list(fitted_featurizer.feature_names_in_)]
    schema = input_schema(feature_frame(split_parts["train"]))
    assert sum(not e["required"] for e in schema.values()) >= 3  # missing values get tested
    rows = awkward_rows(X, schema)
    # What the general path feeds the featurizer: the validated frame (training dtypes).
    validated, errors = validate_frame(rows.astype(object).where(rows.notna(), None), schema)
    assert errors.isna().all()
    expected = fitted_featurizer.transform(validated[list(X.columns)]).to_numpy("float64")
    got = compile_featurizer(fitted_featurizer).transform(columns_of(rows))
    assert np.array_equal(got, expected, equal_nan=True)
    assert not np.isnan(got).any()  # imputation filled everything, as in training


def test_a_step_without_a_fast_version_runs_through_its_own_transform(
    fitted_featurizer, split_parts
):
    import copy

    featurizer = copy.deepcopy(fitted_featurizer)
    columns = featurizer.named_steps["columns"]
    numeric = columns.named_transformers_["num"]
    train = feature_frame(split_parts["train"])
    ratios = featurizer.named_steps["ratios"].transform(train)
    imputed = numeric.named_steps["impute"].transform(ratios[numeric.feature_names_in_])
    numeric.steps[-1] = ("scale", MinMaxScaler().fit(imputed))  # no fast version of it
    X = feature_frame(split_parts["test"])[list(featurizer.feature_names_in_)]
    expected = featurizer.transform(X).to_numpy(dtype="float64")
    got = compile_featurizer(featurizer).transform(columns_of(X))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_an_unusual_featurizer_shape_has_no_fast_path(fitted_featurizer):
    assert compile_featurizer(Pipeline([("columns", fitted_featurizer)])) is None


@pytest.mark.parametrize("contributions", ["exact", "approx"])
def test_scorer_fast_path_equals_the_general_path(trained_run, contributions):
    serve = ServeParams(contributions=contributions)
    scorer = Scorer.load(trained_run / paths.MODELS, serve)
    assert scorer.fast is not None
    test = pd.read_parquet(trained_run / paths.SPLIT / "test.parquet")
    X = feature_frame(test)[list(scorer.schema)].head(80)  # > SMALL_BATCH: both branches
    general = scorer.score(X).drop(columns="error")
    for rows in (X.head(1), X.head(5), X):
        fast = pd.DataFrame(scorer.score_columns(columns_of(rows), len(rows)))
        expected = general.head(len(rows)).reset_index(drop=True)
        pd.testing.assert_frame_equal(fast, expected, check_dtype=False, atol=1e-12)
    offline = package.load(trained_run / paths.PIPELINE).predict_proba(feature_frame(test).head(80))
    offline = offline[:, 1]
    np.testing.assert_allclose(general["churn_probability"], offline, rtol=0, atol=1e-9)


EVERYTHING_ON = {
    "outliers": {"flags": True, "treat": "log", "detect": "iqr"},
    "transforms": {"skew": "yeo-johnson", "scaler": "robust"},
    "constructed": {"polynomial": ["age", "tenure_days"]},
    "text": {"enabled": True, "max_features": 50, "min_df": 5, "svd_components": 3},
    "selection": {"enabled": True, "steps": ["variance", "correlation", "kbest", "pca"], "k": 30},
}


def test_fast_path_equals_a_featurizer_with_the_whole_catalogue(split_parts):
    """Steps without a fast version (robust scaling, polynomial terms, SVD, selection, PCA)
    run through their own transform; the result is still the fitted featurizer's, up to
    float32 rounding: SVD of the float32 TF-IDF matrix is a BLAS product whose last bit
    depends on the buffer it reads (scikit-learn on a copy of its own input differs too)."""
    from churnlab.config.columns import TARGET
    from churnlab.config.params import FeaturizeParams
    from churnlab.features import build_featurizer
    from conftest import FEATURIZE, SNAPSHOT_DATE

    raw = {**FEATURIZE, **EVERYTHING_ON, "text": {**FEATURIZE["text"], **EVERYTHING_ON["text"]}}
    train = feature_frame(split_parts["train"])
    featurizer = build_featurizer(train, FeaturizeParams.model_validate(raw), SNAPSHOT_DATE)
    featurizer.fit(train, split_parts["train"][TARGET])
    assert [name for name, _ in featurizer.steps][-2:] == ["select", "pca"]
    X = feature_frame(split_parts["test"])[list(featurizer.feature_names_in_)]
    expected = featurizer.transform(X).to_numpy(dtype="float64")
    got = compile_featurizer(featurizer).transform(columns_of(X))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_date_parts_are_pandas_calendar_fields_and_elapsed_seconds():
    """DateParts.apply, behind transform and the fast path, gives pandas' ``.dt`` fields and
    ``total_seconds() / 86_400`` bit for bit: sub-second times, dates before 1970, NaT."""
    import datetime as dt

    from churnlab.features import DateParts
    from churnlab.features.fastpath import COMPILERS

    text = ["2024-02-29 13:45:10.123457", "1961-07-04", None, "2026-06-29 23:59:59.5"]
    when = pd.Series(pd.to_datetime(text, format="ISO8601"))
    frame = pd.DataFrame({"d": when})
    step = DateParts(reference=dt.date(2026, 6, 30)).fit(frame)
    elapsed = (pd.Timestamp("2026-06-30") - when).dt.total_seconds() / 86_400.0
    fields = [when.dt.year, when.dt.quarter, when.dt.month, when.dt.day_of_week, elapsed]
    expected = np.column_stack([f.to_numpy(dtype="float64", na_value=np.nan) for f in fields])
    assert np.array_equal(step.transform(frame), expected, equal_nan=True)
    fast = COMPILERS[DateParts](step)(np.array([[w] for w in when.tolist()], dtype=object))
    assert np.array_equal(fast, expected, equal_nan=True)


def test_ratio_features_are_pandas_arithmetic_on_frames_and_arrays():
    from churnlab.features import RatioFeatures

    train = pd.DataFrame(
        {
            "a": [1.0, 2.0, np.nan, 4.0, 5.0],
            "b": [2.0, 0.0, 1.0, np.nan, -0.0],
            "g": ["x", "y", None, "z", "x"],
        }
    )
    step = RatioFeatures(
        ratios={"r": ("a", "b")}, products={"p": ("r", "a")}, group_ratios={"q": ("a", "g")}
    ).fit(train)
    X = train.assign(g=["x", "y", None, "w", "x"])  # w: a group unseen in train
    out = step.transform(X)
    r = X["a"] / X["b"].where(X["b"] != 0)
    medians = X["g"].map({"x": 3.0, "y": 2.0, "z": 4.0}).astype("float64").fillna(3.0)
    expected = pd.DataFrame({"r": r, "p": r * X["a"], "q": X["a"] / medians})
    pd.testing.assert_frame_equal(out[["r", "p", "q"]], expected)
    arrays = step.apply({c: X[c].to_numpy(dtype=object) for c in X.columns})
    assert np.array_equal(pd.DataFrame(arrays).to_numpy(), expected.to_numpy(), equal_nan=True)
