"""The featurizer: fitted on train only, stable names, robust to unseen and missing values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.config.columns import TARGET
from churnlab.config.params import FeaturizeParams
from churnlab.errors import UserError
from churnlab.features import (
    DateParts,
    Log1p,
    RatioFeatures,
    build_featurizer,
    column_groups,
    feature_frame,
)
from conftest import FEATURIZE, SNAPSHOT_DATE, small_params

NUMERIC_CHECKED = ["age", "satisfaction", "days_since_last_login", "tenure_days"]


@pytest.fixture(scope="module")
def train(split_parts) -> pd.DataFrame:
    return feature_frame(split_parts["train"])


@pytest.fixture(scope="module")
def holdout_frame(split_parts) -> pd.DataFrame:
    return feature_frame(split_parts["test"])


def fit(frame: pd.DataFrame, p: FeaturizeParams):
    return build_featurizer(frame, p, SNAPSHOT_DATE).fit(frame)


def params_with(**changes) -> FeaturizeParams:
    return FeaturizeParams.model_validate({**FEATURIZE, **changes})


def test_feature_frame_drops_key_and_label(split_parts):
    frame = feature_frame(split_parts["train"])
    assert "customer_key" not in frame
    assert TARGET not in frame
    assert len(frame.columns) == len(split_parts["train"].columns) - 2


def test_column_groups(train, featurize_params):
    groups = column_groups(train, featurize_params)
    assert groups["log"] == ["monthly_fee", "spend_30d", "spend_90d"]
    assert groups["ordinal"] == ["plan"]
    assert groups["date"] == ["signup_date"]
    assert groups["text"] == ["ticket_text"]
    assert set(groups["categorical"]) == {"region", "contract", "payment_method"}
    assert {
        "age",
        "satisfaction",
        "logins_30d",
        "tenure_days",
        "spend_per_login",
        "fee_per_login",
    } <= set(groups["numeric"])
    # Each column in one main group; bin/poly add features of columns already in one.
    main = ("numeric", "log", "ordinal", "categorical", "target", "date", "text")
    assigned = [c for name in main for c in groups[name]]
    assert len(assigned) == len(set(assigned)), "a column is in two groups"
    c = featurize_params.constructed
    products = set(c.products) | set(c.group_ratios)
    assert set(assigned) == set(train.columns) | set(FEATURIZE["ratios"]) | products
    assert groups["bin"] == ["age", "tenure_days"]
    assert groups["target"] == [] and groups["dropped"] == []


def test_names_out_equal_the_output_columns(fitted_featurizer, holdout_frame):
    out = fitted_featurizer.transform(holdout_frame)
    names = list(fitted_featurizer.get_feature_names_out())
    assert names == list(out.columns)
    assert len(names) == len(set(names))
    assert not [n for n in names if "customer_key" in n or TARGET in n]
    assert out.index.equals(holdout_frame.index)


def test_names_out_are_stable_across_fits(fitted_featurizer, train, featurize_params):
    again = fit(train, featurize_params)
    assert list(again.get_feature_names_out()) == list(fitted_featurizer.get_feature_names_out())


def test_output_is_numeric_and_complete(fitted_featurizer, holdout_frame):
    out = fitted_featurizer.transform(holdout_frame)
    assert all(pd.api.types.is_numeric_dtype(t) for t in out.dtypes)
    assert not out.isna().any().any()
    assert np.isfinite(out.to_numpy(dtype="float64")).all()


def test_every_feature_group_is_present(fitted_featurizer):
    names = list(fitted_featurizer.get_feature_names_out())
    for prefix in ("num__", "log__", "ord__", "cat__", "date__", "text__"):
        assert any(n.startswith(prefix) for n in names), prefix
    assert "num__spend_per_login" in names
    assert "date__signup_date_days_before_snapshot" in names
    assert "num__missingindicator_age" in names


@pytest.fixture(scope="module")
def plain_featurizer(train):
    """Imputation and scaling only in the numeric group, so statistics can be recomputed."""
    return fit(train, params_with(outliers={"enabled": False}, transforms={"skew": "none"}))


def _statistics(featurizer) -> dict[str, np.ndarray]:
    columns = featurizer.named_steps["columns"]
    num = columns.named_transformers_["num"]
    return {
        "median": num.named_steps["impute"].statistics_.copy(),
        "mean": num.named_steps["scale"].mean_.copy(),
        "scale": num.named_steps["scale"].scale_.copy(),
        "vocabulary": dict(columns.named_transformers_["text"].vectorizer_.vocabulary_),
    }


def test_fitted_statistics_come_from_train_alone(plain_featurizer, train, holdout_frame):
    fitted_featurizer = plain_featurizer
    num = fitted_featurizer.named_steps["columns"].named_transformers_["num"]
    imputer, scaler = num.named_steps["impute"], num.named_steps["scale"]
    inputs = list(imputer.feature_names_in_)
    with_ratios = fitted_featurizer.named_steps["ratios"].transform(train)[inputs]
    expected_median = with_ratios.median().to_numpy()
    np.testing.assert_allclose(imputer.statistics_, expected_median)
    imputed = with_ratios.fillna(with_ratios.median())
    np.testing.assert_allclose(scaler.mean_[: len(inputs)], imputed.mean().to_numpy())

    # Transforming an extreme test frame neither refits nor shifts anything.
    before = _statistics(fitted_featurizer)
    extreme = holdout_frame.copy()
    extreme["age"] = 1e6
    extreme["satisfaction"] = np.nan
    extreme["ticket_text"] = "zyzzyva quokka " * 10
    out = fitted_featurizer.transform(extreme)
    after = _statistics(fitted_featurizer)
    for key in ("median", "mean", "scale"):
        np.testing.assert_array_equal(after[key], before[key])
    assert after["vocabulary"] == before["vocabulary"]
    assert not any("zyzzyva" in n for n in fitted_featurizer.get_feature_names_out())

    age = inputs.index("age")
    expected_age = (1e6 - scaler.mean_[age]) / scaler.scale_[age]
    np.testing.assert_allclose(out["num__age"], expected_age, rtol=1e-6)
    satisfaction = inputs.index("satisfaction")
    expected_sat = (imputer.statistics_[satisfaction] - scaler.mean_[satisfaction]) / (
        scaler.scale_[satisfaction]
    )
    np.testing.assert_allclose(out["num__satisfaction"], expected_sat, rtol=1e-6)


def test_fitting_on_test_rows_would_change_the_statistics(plain_featurizer, train, holdout_frame):
    """The check above can fail: the same extreme rows in the fit do move the statistics."""
    extreme = holdout_frame.copy()
    extreme["age"] = 1e6
    p = params_with(outliers={"enabled": False}, transforms={"skew": "none"})
    leaky = fit(pd.concat([train, extreme], ignore_index=True), p)
    assert not np.allclose(_statistics(leaky)["mean"], _statistics(plain_featurizer)["mean"])


@pytest.mark.e2e
def test_featurize_stage_fits_on_the_train_split_only(featurized_run, featurize_params):
    saved = package.load(featurized_run / "models/featurizer.skops")
    parts = {
        n: io.read_table(featurized_run / f"data/split/{n}.parquet")
        for n in ("train", "valid", "test")
    }
    p = small_params().featurize
    on_train = fit(feature_frame(parts["train"]), p)
    on_all = fit(feature_frame(pd.concat(parts.values(), ignore_index=True)), p)
    test_inputs = feature_frame(parts["test"])
    expected = on_train.transform(test_inputs)
    pd.testing.assert_frame_equal(saved.transform(test_inputs), expected)
    assert not np.allclose(on_all.transform(test_inputs).to_numpy(), expected.to_numpy())

    written = io.read_table(featurized_run / "data/features/test.parquet")
    assert list(written.columns) == [*expected.columns, TARGET]
    np.testing.assert_allclose(
        written.drop(columns=[TARGET]).to_numpy(), expected.to_numpy(dtype="float32"), rtol=1e-6
    )
    assert written[TARGET].tolist() == parts["test"][TARGET].tolist()


def test_unseen_category_does_not_raise(fitted_featurizer, holdout_frame):
    unseen = holdout_frame.copy()
    unseen["region"] = "Atlantis"
    unseen["plan"] = "platinum"
    out = fitted_featurizer.transform(unseen)
    assert list(out.columns) == list(fitted_featurizer.get_feature_names_out())
    assert not out.isna().any().any()
    known_regions = [
        c
        for c in out.columns
        if c.startswith("cat__region_") and not c.endswith("infrequent_sklearn")
    ]
    assert (out[known_regions] == 0).all().all()
    assert (out["ord__plan"] == -1).all()


@pytest.mark.parametrize(
    ("column", "missing"),
    [
        ("age", np.nan),
        ("monthly_fee", np.nan),
        ("logins_90d", np.nan),
        ("days_since_last_login", np.nan),
        ("signup_date", pd.NaT),
        ("ticket_text", None),
        ("region", None),
        ("region", np.nan),
        ("plan", None),
    ],
)
def test_all_missing_column_at_inference_does_not_raise(
    fitted_featurizer, holdout_frame, column, missing
):
    frame = holdout_frame.copy()
    frame[column] = missing
    out = fitted_featurizer.transform(frame)
    assert list(out.columns) == list(fitted_featurizer.get_feature_names_out())
    assert len(out) == len(frame)
    assert not out.isna().any().any()


def test_all_missing_numeric_column_is_imputed_with_the_train_median(
    fitted_featurizer, holdout_frame
):
    frame = holdout_frame.copy()
    frame["age"] = np.nan
    out = fitted_featurizer.transform(frame)
    scaler = fitted_featurizer.named_steps["columns"].named_transformers_["num"]["scale"]
    imputer = fitted_featurizer.named_steps["columns"].named_transformers_["num"]["impute"]
    age = list(imputer.feature_names_in_).index("age")
    expected = (imputer.statistics_[age] - scaler.mean_[age]) / scaler.scale_[age]
    np.testing.assert_allclose(out["num__age"], expected, rtol=1e-6)
    indicator = list(imputer.get_feature_names_out()).index("missingindicator_age")
    flagged = (1.0 - scaler.mean_[indicator]) / scaler.scale_[indicator]
    np.testing.assert_allclose(out["num__missingindicator_age"], flagged, rtol=1e-6)


@pytest.mark.parametrize("column", ["region", "plan"])
def test_missing_category_in_the_prepared_dtype_does_not_raise(
    fitted_featurizer, holdout_frame, column
):
    frame = holdout_frame.copy()
    assert isinstance(frame[column].dtype, pd.StringDtype)  # as prepare writes it
    frame.loc[frame.index[:3], column] = pd.NA
    out = fitted_featurizer.transform(frame)
    assert not out.isna().any().any()


def test_fit_with_a_missing_category_does_not_raise(train, featurize_params):
    frame = train.copy()
    # More missing values than onehot_min_frequency, so "Unknown" is a category of its own.
    n_missing = featurize_params.onehot_min_frequency + 5
    frame.loc[frame.index[:n_missing], "region"] = pd.NA
    fitted = fit(frame, featurize_params)
    assert "cat__region_Unknown" in fitted.get_feature_names_out()


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"log_columns": ["monthly_fee", "monthly_fees"]}, "monthly_fees"),
        ({"date_columns": ["signup_day"]}, "signup_day"),
        ({"ordinal": {"tier": ["a", "b"]}}, "tier"),
        ({"ratios": {"r": ["spend_90d", "logins_60d"]}}, "logins_60d"),
    ],
)
def test_unknown_column_in_params_is_a_user_error(train, changes, name):
    with pytest.raises(UserError, match=f"featurize names column '{name}'"):
        build_featurizer(train, params_with(**changes), SNAPSHOT_DATE)


def test_text_and_scaling_can_be_switched_off(train):
    p = params_with(
        scale=False,
        text={"enabled": False},
        outliers={"enabled": False},
        transforms={"skew": "none"},
    )
    featurizer = fit(train, p)
    names = list(featurizer.get_feature_names_out())
    assert not any(n.startswith("text__") for n in names)
    out = featurizer.transform(train)
    # Unscaled: the tenure column is the raw number of days.
    np.testing.assert_array_equal(out["num__tenure_days"], train["tenure_days"])
    assert "scale" not in featurizer.named_steps["columns"].named_transformers_["num"].named_steps


def test_transform_is_deterministic(fitted_featurizer, holdout_frame):
    pd.testing.assert_frame_equal(
        fitted_featurizer.transform(holdout_frame),
        fitted_featurizer.transform(holdout_frame.copy()),
    )


def test_ratio_features_divide_and_zero_denominator_gives_nan():
    frame = pd.DataFrame({"a": [10.0, 3.0, 1.0], "b": [2, 0, np.nan]})
    out = RatioFeatures({"a_per_b": ("a", "b")}).fit(frame).transform(frame)
    assert out["a_per_b"].iloc[0] == 5.0
    assert np.isnan(out["a_per_b"].iloc[1])
    assert np.isnan(out["a_per_b"].iloc[2])
    assert list(out.columns) == ["a", "b", "a_per_b"]
    assert "a_per_b" not in frame


def test_log1p_clips_negative_amounts():
    out = (
        Log1p()
        .fit(np.array([[-5.0], [0.0], [np.e - 1]]))
        .transform(np.array([[-5.0], [0.0], [np.e - 1]]))
    )
    np.testing.assert_allclose(out[:, 0], [0.0, 0.0, 1.0])


def test_date_parts():
    frame = pd.DataFrame({"d": pd.to_datetime(["2026-04-30", None])})
    parts = DateParts(reference=dt.date(2026, 6, 30)).fit(frame)
    out = parts.transform(frame)
    assert list(parts.get_feature_names_out()) == [f"d_{p}" for p in DateParts.PARTS]
    np.testing.assert_array_equal(out[0], [2026, 2, 4, 3, 61])  # a Thursday, 61 days before
    assert np.isnan(out[1]).all()


def test_empty_text_vocabulary_is_a_user_error(train):
    frame = train.copy()
    frame["ticket_text"] = ""
    with pytest.raises(UserError, match=r"featurize\.text\.enabled: false"):
        fit(frame, params_with())


def test_featurized_rows_are_the_matrix_rows_in_order():
    """Stages pairing the feature matrix with split columns (uplift, survival) get the rows
    featurize kept: train without its sparse rows, the other splits whole."""
    from churnlab.features.fit import featurized_rows

    split = pd.DataFrame(
        {
            "customer_key": ["a", "b", "c", "d"],
            "x": [1.0, np.nan, 3.0, 4.0],
            "y": [1.0, np.nan, np.nan, 2.0],
            "z": [1.0, np.nan, 5.0, 6.0],
            TARGET: [0, 1, 0, 1],
        }
    )
    p = FeaturizeParams()
    assert featurized_rows(split, "train", p)["customer_key"].tolist() == ["a", "c", "d"]
    assert featurized_rows(split, "valid", p)["customer_key"].tolist() == ["a", "b", "c", "d"]
    off = p.model_copy(update={"missing": p.missing.model_copy(update={"enabled": False})})
    assert len(featurized_rows(split, "train", off)) == 4


def test_a_user_column_named_like_a_synthetic_ordinal_keeps_its_own_values():
    """params.yaml orders the synthetic `plan` basic < standard < premium; a user's `plan` with
    other values is a category, not an ordinal whose every value reads as unknown."""
    p = small_params().featurize  # params.yaml's
    assert p.ordinal.get("plan") == ["basic", "standard", "premium"]  # the premise
    user = {"source": "csv", "columns": {}}
    theirs = pd.DataFrame({"plan": ["gold", "silver", "gold", None], "fee": [1.0, 2.0, 3.0, 4.0]})
    groups = column_groups(theirs, p, user)
    assert "plan" not in groups["ordinal"] and "plan" in groups["categorical"]
    ours = theirs.assign(plan=["basic", "premium", "basic", None])
    assert column_groups(ours, p, user)["ordinal"] == ["plan"]
