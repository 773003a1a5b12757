"""The feature-engineering catalogue: each option fitted on train only, stable names,
robust inference, save/load, family switches and their validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.config.columns import TARGET
from churnlab.config.params import FeaturizeParams, MissingParams, parse_params
from churnlab.errors import UserError
from churnlab.features import (
    FeatureSelection,
    OutlierBounds,
    SkewTransform,
    build_featurizer,
    column_groups,
    feature_frame,
)
from churnlab.features.families import FAMILIES, VARIANTS, variant
from churnlab.features.impute import sparse_columns, sparse_rows
from churnlab.features.report import selection_markdown
from conftest import FEATURIZE, SNAPSHOT_DATE

N_TRAIN = 600


def params_with(**changes) -> FeaturizeParams:
    return FeaturizeParams.model_validate({**FEATURIZE, **changes})


@pytest.fixture(scope="module")
def train_rows(split_parts) -> pd.DataFrame:
    return split_parts["train"].head(N_TRAIN).reset_index(drop=True)


@pytest.fixture(scope="module")
def holdout_rows(split_parts) -> pd.DataFrame:
    return split_parts["test"].head(300).reset_index(drop=True)


def leaky(frame: pd.DataFrame) -> pd.DataFrame:
    """Test rows whose values, categories and words never occur in train."""
    out = frame.copy()
    churners = out[TARGET] == 1
    out.loc[churners, "age"] = 1e4
    out["region"] = "Atlantis"
    out["ticket_text"] = "zyzzyva quokka refund"
    out["monthly_fee"] = out["monthly_fee"] * 50
    return out


def fitted(frame: pd.DataFrame, p: FeaturizeParams):
    X, y = feature_frame(frame), frame[TARGET]
    featurizer = build_featurizer(X, p, SNAPSHOT_DATE)
    featurizer.fit_transform(X, y)
    return featurizer


def columns(featurizer):
    return featurizer.named_steps["columns"].named_transformers_


# option name → (featurize changes, the fitted state that must come from train alone)
OPTIONS = {
    "outlier_quantile": ({}, lambda f: columns(f)["log"]["outliers"].upper_),
    "outlier_iqr_flags": (
        {"outliers": {"detect": "iqr", "flags": True}},
        lambda f: columns(f)["num"]["outliers"].upper_,
    ),
    "outlier_zscore_log": (
        {"outliers": {"detect": "zscore", "treat": "log"}},
        lambda f: columns(f)["num"]["outliers"].n_outliers_,
    ),
    "isolation_forest": (
        {"outliers": {"isolation_forest": True, "isolation_trees": 20}},
        lambda f: columns(f)["unusual"]["forest"].forest_.estimators_[0].tree_.threshold,
    ),
    "yeo_johnson": (
        {"transforms": {"skew": "yeo-johnson", "skew_threshold": 0.5}},
        lambda f: columns(f)["num"]["skew"].skewness_,
    ),
    "minmax": (
        {"transforms": {"scaler": "minmax"}},
        lambda f: columns(f)["num"]["scale"].data_max_,
    ),
    "robust": ({"transforms": {"scaler": "robust"}}, lambda f: columns(f)["num"]["scale"].center_),
    "bins_uniform": (
        {"transforms": {"bin_strategy": "uniform", "bins": {"age": 4}}},
        lambda f: columns(f)["bin"]["bins"].bin_edges_[0],
    ),
    "mean_impute": (
        {"missing": {"numeric": "mean"}},
        lambda f: columns(f)["num"]["impute"].statistics_,
    ),
    "knn_impute": (
        {"missing": {"numeric": "knn"}},
        lambda f: columns(f)["num"]["impute"]._fit_X,
    ),
    "iterative_impute": (
        {"missing": {"numeric": "iterative", "iterative_max_iter": 3}},
        lambda f: columns(f)["num"]["impute"].initial_imputer_.statistics_,
    ),
    "target_encoding": (
        {"encoding": {"target_min_cardinality": 5}},
        lambda f: columns(f)["target"]["target"].categories_[0].astype(str),
    ),
    "text_svd": (
        {"text": {**FEATURIZE["text"], "min_df": 2, "svd_components": 3}},
        lambda f: sorted(columns(f)["text"]["tfidf"].vectorizer_.vocabulary_),
    ),
    "group_ratio": ({}, lambda f: f.named_steps["ratios"].group_medians_["fee_vs_plan"]["medians"]),
    "polynomial": (
        {"constructed": {"polynomial": ["age", "tenure_days"]}},
        lambda f: columns(f)["poly"]["scale"].mean_,
    ),
    "selection_kbest": (
        {"selection": {"enabled": True, "steps": ["variance", "kbest"], "k": 5}},
        lambda f: list(f.named_steps["select"].kept_),
    ),
}


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return bool(np.allclose(a, b, equal_nan=True))
    return bool((a == b).all())


@pytest.mark.e2e
@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_each_option_is_fitted_on_train_alone(option, train_rows, holdout_rows):
    changes, state = OPTIONS[option]
    p = params_with(**changes)
    featurizer = fitted(train_rows, p)
    before = state(featurizer)
    novel = leaky(holdout_rows)
    out = featurizer.transform(feature_frame(novel))
    # Transforming new rows leaves the fitted state as train made it ...
    assert _same(state(featurizer), before)
    assert list(out.columns) == list(featurizer.get_feature_names_out())
    assert not out.isna().any().any()
    # ... and the check can fail: the same rows in the fit do change that state.
    mixed = pd.concat([train_rows, novel], ignore_index=True)
    assert not _same(state(fitted(mixed, p)), before), option


EVERYTHING = {  # iterative imputation is tested above; it is slow beside outlier flags
    "missing": {"numeric": "knn"},
    "outliers": {"detect": "iqr", "flags": True, "isolation_forest": True, "isolation_trees": 20},
    "transforms": {"skew": "yeo-johnson", "scaler": "robust", "bins": {"age": 4}},
    "encoding": {"target_min_cardinality": 5},
    "text": {**FEATURIZE["text"], "min_df": 2, "svd_components": 3},
    "constructed": {"polynomial": ["age", "tenure_days"]},
    "selection": {"enabled": True, "steps": ["variance", "correlation", "kbest", "tree"], "k": 30},
}


@pytest.fixture(scope="module")
def everything(train_rows):
    return fitted(train_rows, params_with(**EVERYTHING))


def test_names_are_stable_across_fits(everything, train_rows):
    again = fitted(train_rows, params_with(**EVERYTHING))
    assert list(again.get_feature_names_out()) == list(everything.get_feature_names_out())
    names = list(everything.named_steps["columns"].get_feature_names_out())
    for expected in (
        "num__outlier_age",
        "unusual__is_unusual",
        "bin__age",
        "poly__age_x_tenure_days",
        "target__region",
        "text__truncatedsvd0",
    ):
        assert expected in names, expected


@pytest.mark.parametrize(
    "column", ["age", "monthly_fee", "region", "plan", "signup_date", "ticket_text"]
)
def test_unseen_and_all_missing_values_at_inference(everything, holdout_rows, column):
    frame = feature_frame(holdout_rows).copy()
    frame["region"] = "Atlantis"  # unseen by every encoder
    frame[column] = pd.NaT if column == "signup_date" else None
    out = everything.transform(frame)
    assert list(out.columns) == list(everything.get_feature_names_out())
    assert len(out) == len(frame)
    assert np.isfinite(out.to_numpy(dtype="float64")).all()


def test_everything_roundtrips_through_the_allow_list(everything, holdout_rows, tmp_path):
    package.save(everything, tmp_path / "a.skops")
    package.save(everything, tmp_path / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    loaded = package.load(tmp_path / "a.skops")
    X = feature_frame(holdout_rows)
    pd.testing.assert_frame_equal(loaded.transform(X), everything.transform(X))


@pytest.mark.parametrize("name", VARIANTS)
def test_each_variant_switches_its_family(name, train_rows, holdout_rows, featurize_params):
    p = variant(featurize_params, name)
    featurizer = fitted(train_rows, p)
    names = list(featurizer.get_feature_names_out())
    out = featurizer.transform(feature_frame(holdout_rows))
    assert not out.isna().any().any()
    gone = {
        "no_text": "text__",
        "no_dates": "date__",
        "no_transforms": "bin__",
        "no_encoding": "ord__",
        "raw_only": "missingindicator",
        "no_missing": "missingindicator",
    }
    if name in gone:
        assert not any(gone[name] in n for n in names), name
    if name in ("no_constructed", "raw_only"):
        assert "num__spend_per_login" not in names
    if name == "no_outliers":
        assert "outliers" not in columns(featurizer)["num"].named_steps
    if name == "full":
        assert "num__spend_per_login" in names and "cat__region_North" in names
    if name == "raw_only":
        assert {n.split("__")[0] for n in names} == {"num", "cat"}
    if name == "selection":
        assert len(names) < len(featurizer.named_steps["columns"].get_feature_names_out())


def test_unknown_variant_fails_naming_it(featurize_params):
    with pytest.raises(UserError, match="'no_magic'"):
        variant(featurize_params, "no_magic")
    assert set(FAMILIES) <= set(FeaturizeParams.model_fields)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"selection": {"steps": ["variance", "lasso"]}}, "featurize.selection.steps.1"),
        ({"selection": {"steps": ["pca", "tree"]}}, "pca must be the last step"),
        ({"missing": {"numeric": "mice"}}, "featurize.missing.numeric"),
        ({"outliers": {"detect": "iqr", "enabled": True, "cap": 3}}, "featurize.outliers.cap"),
        ({"outliers": {"quantiles": [0.9, 0.1]}}, "quantiles must satisfy"),
        ({"transforms": {"scaler": "max_abs"}}, "featurize.transforms.scaler"),
        ({"transforms": {"bins": {"age": 1}}}, "at least 2 bins"),
        ({"dates": {"parts": ["week"]}}, "featurize.dates.parts.0"),
        ({"families": {"text": False}}, "featurize.families is not a known key"),
    ],
)
def test_family_params_are_validated(section, expected):
    with pytest.raises(UserError, match=expected):
        parse_params({"featurize": section})


def test_unknown_column_in_family_params_is_a_user_error(train_rows):
    p = params_with(transforms={"bins": {"agee": 3}})
    with pytest.raises(UserError, match="featurize names column 'agee'"):
        build_featurizer(feature_frame(train_rows), p, SNAPSHOT_DATE)


def test_sparse_columns_and_rows_are_dropped_by_threshold(train_rows, featurize_params):
    X = feature_frame(train_rows).copy()
    X.loc[X.index[: int(0.6 * len(X))], "satisfaction"] = np.nan
    p = MissingParams(max_column_missing_share=0.5, max_row_missing_share=0.3)
    assert list(sparse_columns(X, p, keep={"ticket_text"})) == ["satisfaction"]
    groups = column_groups(X, featurize_params)
    assert groups["dropped"] == ["satisfaction"]
    assert "satisfaction" not in groups["numeric"]
    rows = X.copy()
    rows.loc[rows.index[:3], rows.columns[: int(0.5 * rows.shape[1])]] = np.nan
    assert sparse_rows(rows, p).sum() == 3
    assert not sparse_rows(rows, p.model_copy(update={"enabled": False})).any()


def test_outlier_bounds_clip_log_and_flag():
    frame = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1000.0], "zeros": [0.0] * 7 + [4.0]}
    )
    clip = OutlierBounds("iqr", "clip", flags=True, iqr_k=1.5).fit(frame)
    # A column with no spread (mostly zeros) gets no bounds: its rare value is kept.
    assert np.isinf(clip.lower_[1]) and np.isinf(clip.upper_[1])
    out = clip.transform(frame)
    assert out[-1, 0] == pytest.approx(clip.upper_[0]) and out[-1, 1] == 4.0
    assert list(clip.get_feature_names_out()) == ["x", "zeros", "outlier_x"]
    assert out[:, 2].tolist() == [0, 0, 0, 0, 0, 0, 0, 1]
    logged = OutlierBounds("iqr", "log", iqr_k=1.5).fit(frame).transform(frame)
    assert logged[-1, 0] == pytest.approx(np.log1p(1000.0))
    assert logged[-1, 1] == 4.0  # no outliers found in train: untouched


def test_skew_transform_picks_skewed_non_binary_columns():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "skewed": rng.lognormal(0, 1.5, 500),
            "normal": rng.normal(0, 1, 500),
            "flag": (rng.random(500) < 0.02).astype(float),
        }
    )
    skew = SkewTransform("log1p", 2.0).fit(frame)
    assert skew.skewed_.tolist() == [True, False, False]
    out = skew.transform(frame)
    np.testing.assert_allclose(out[:, 0], np.log1p(frame["skewed"]))
    np.testing.assert_array_equal(out[:, 1:], frame[["normal", "flag"]].to_numpy())


def test_selection_reports_a_reason_for_every_dropped_feature(everything):
    selector = everything.named_steps["select"]
    before = list(everything.named_steps["columns"].get_feature_names_out())
    assert set(selector.kept_) | set(selector.dropped_) == set(before)
    assert not set(selector.kept_) & set(selector.dropped_)
    assert {d["step"] for d in selector.dropped_.values()} <= {
        "variance",
        "correlation",
        "kbest",
        "tree",
    }
    text = selection_markdown(everything, params_with(**EVERYTHING))
    assert all(f"`{name}`" in text for name in before)


def test_selection_needs_labels(train_rows):
    with pytest.raises(ValueError, match="needs the labels"):
        FeatureSelection({"steps": ["variance"]}).fit(
            feature_frame(train_rows).select_dtypes("number")
        )


def test_featurize_stage_reports_counts_and_selection(featurized_run):
    report = io.read_json(featurized_run / "metrics/featurize.json")
    written = io.read_table(featurized_run / "data/features/train.parquet")
    assert report["n_features"] == written.shape[1] - 1
    assert report["families"]["text"] is True and report["families"]["selection"] is False
    assert report["dropped_train_rows"] == 0 and report["dropped_columns"] == {}
    assert sum(report["features_per_group"].values()) == report["n_features_before_selection"]
    md = (featurized_run / "reports/feature_selection.md").read_text()
    assert "Selection is off" in md


def test_group_ratio_uses_train_medians_and_falls_back_for_unseen_groups():
    from churnlab.features import RatioFeatures

    train = pd.DataFrame(
        {"fee": [10.0, 20.0, 30.0, 100.0, np.nan], "plan": ["a", "a", "a", "b", "b"]}
    )
    ratios = RatioFeatures(group_ratios={"fee_vs_plan": ["fee", "plan"]}).fit(train)
    test = pd.DataFrame({"fee": [40.0, 50.0, 25.0], "plan": ["a", "b", "zzz"]})
    out = ratios.transform(test)
    # a: median 20; b: median 100 (the missing fee is ignored); unseen: overall median 25
    np.testing.assert_allclose(out["fee_vs_plan"], [2.0, 0.5, 1.0])
    assert list(ratios.get_feature_names_out()) == ["fee", "plan", "fee_vs_plan"]
