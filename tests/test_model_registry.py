"""The model registry: each entry is complete (trains, calibrates, explains, saves and loads),
its names are the params sections, and a new model needs nothing but its own module."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from pydantic import create_model
from sklearn.pipeline import Pipeline

from churnlab import package
from churnlab.config.columns import TARGET
from churnlab.config.models import MODEL_NAMES, TrainParams
from churnlab.config.params import parse_params
from churnlab.errors import UserError
from churnlab.evaluation.explain import model_contributions
from churnlab.features import feature_frame
from churnlab.modeling import crossval, registry, zoo
from churnlab.modeling.calibration import calibrate
from churnlab.modeling.registry import REGISTRY, spec_for, spec_of
from conftest import small_params

# Models whose contributions sum to the log-odds (the others have no exact method).
EXPLAINED = {"rules", "logreg", "svm_linear", "xgboost", "lightgbm", "catboost", "blend"}


@pytest.fixture(scope="module")
def parts(split_parts, fitted_featurizer) -> dict[str, dict]:
    """Per split: the featurizer's matrix, the prepared columns and the labels."""
    out = {}
    for name in ("train", "valid", "test"):
        raw = feature_frame(split_parts[name])
        matrix = fitted_featurizer.transform(raw).astype("float32")
        out[name] = {"features": matrix, "raw": raw, "y": split_parts[name][TARGET].to_numpy()}
    return out


def inputs(parts: dict, split: str, spec) -> pd.DataFrame:
    return parts[split]["features" if spec.uses_features else "raw"]


def train(spec, p: TrainParams, parts: dict):
    y = parts["train"]["y"]
    X_valid, y_valid = inputs(parts, "valid", spec), parts["valid"]["y"]
    return spec.fit(spec.make(p, y), inputs(parts, "train", spec), y, X_valid, y_valid)


@pytest.fixture(scope="module")
def fitted(parts) -> dict:
    """Every registry model, trained then calibrated on validation (what train saves)."""
    out = {}
    for name, spec in REGISTRY.items():
        model = train(spec, small_params().train, parts)
        valid = inputs(parts, "valid", spec), parts["valid"]["y"]
        out[name] = (model, calibrate(model, *valid, "sigmoid"))
    return out


def test_registry_names_are_the_params_sections():
    assert set(REGISTRY) == set(MODEL_NAMES)
    for name, spec in REGISTRY.items():
        assert spec.name == name
        assert TrainParams.model_fields[name].annotation is spec.params


def test_registry_is_ordered_by_a_unique_complexity():
    complexity = [spec.complexity for spec in REGISTRY.values()]
    assert complexity == sorted(set(complexity))
    assert list(REGISTRY)[:2] == ["rules", "logreg"]


def test_an_unknown_train_model_lists_the_valid_names():
    with pytest.raises(UserError) as info:
        parse_params({"train": {"model": "prophet"}})
    message = str(info.value)
    assert message.startswith("params.yaml: train.model: must be one of ")
    assert all(name in message for name in MODEL_NAMES) and "got 'prophet'" in message
    with pytest.raises(UserError, match=r"search\.model: must be one of .*catboost"):
        parse_params({"search": {"model": "prophet", "space": {}}})


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_model_trains_calibrates_and_is_found_by_its_class(fitted, parts, name):
    model, calibrated = fitted[name]
    X = inputs(parts, "test", REGISTRY[name])
    proba = calibrated.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.all((proba >= 0) & (proba <= 1))
    assert registry.base_estimator(calibrated) is model
    assert spec_of(model).estimator is REGISTRY[name].estimator


@pytest.mark.parametrize("name", list(REGISTRY))
def test_contributions_plus_base_are_the_log_odds(fitted, parts, name):
    model, calibrated = fitted[name]
    X = inputs(parts, "test", REGISTRY[name]).head(200)
    if name not in EXPLAINED:
        with pytest.raises(NotImplementedError, match="no explanation method"):
            model_contributions(calibrated, X)
        return
    contribs, base = model_contributions(calibrated, X)  # through the calibrator
    p = model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(contribs.sum(axis=1) + base, np.log(p / (1 - p)), atol=1e-4)
    assert contribs.index.equals(X.index)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_roundtrip_through_the_allow_list(fitted, parts, fitted_featurizer, tmp_path, name):
    spec = REGISTRY[name]
    steps = [("model", fitted[name][1])]
    if spec.uses_features:
        steps.insert(0, ("features", fitted_featurizer))
    pipeline = Pipeline(steps)
    package.save(pipeline, tmp_path / "p.skops")
    loaded = package.load(tmp_path / "p.skops")
    X = parts["test"]["raw"]
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    # The model's own types are what its entry declares; the rest is the shared base.
    needed = package.types_in(sio.dumps(fitted[name][0]))
    members = [spec_of(m) for m in getattr(fitted[name][0], "members_", [])]  # a blend's
    declared = set(spec.trusted_types).union(*(m.trusted_types for m in members))
    assert needed <= set(package.BASE_TYPES) | declared
    assert declared <= needed | set(package.BASE_TYPES)


def test_the_featurizer_needs_only_the_base_types(fitted_featurizer):
    assert package.types_in(sio.dumps(fitted_featurizer)) <= set(package.BASE_TYPES)


def test_single_threaded_is_each_entrys_own_update():
    p = TrainParams()  # the defaults use two threads
    single = crossval.single_threaded(p)
    y = np.array([0, 1, 0, 1])
    threaded = {name: spec for name, spec in REGISTRY.items() if spec.single_threaded}
    assert set(threaded) == {"xgboost", "lightgbm", "catboost", "forest"}
    for name, spec in REGISTRY.items():
        if name not in threaded:
            assert spec.section(single) == spec.section(p)
            continue
        (key, value), *_ = spec.single_threaded.items()
        assert getattr(spec.section(p), key) != value == getattr(spec.section(single), key)
        assert spec.make(single, y).get_params()[key] == value


def test_xgboost_small_and_large_batches_give_the_same_values(fitted, parts):
    """The one-thread booster (requests up to SMALL_BATCH rows) changes nothing."""
    from churnlab.modeling.zoo import xgboost as xgboost_model

    model = fitted["xgboost"][0]
    X = parts["test"]["features"]
    assert len(X) > xgboost_model.SMALL_BATCH
    small = X.head(5)
    whole, _ = model_contributions(model, X)
    few, _ = model_contributions(model, small)
    np.testing.assert_array_equal(few.to_numpy(), whole.head(5).to_numpy())
    spec = REGISTRY["xgboost"]
    np.testing.assert_array_equal(spec.probability(model, small), model.predict_proba(small)[:, 1])
    approx, base = model_contributions(model, small, approx=True)
    assert not np.array_equal(approx.to_numpy(), few.to_numpy())  # Saabas, not TreeSHAP
    p = model.predict_proba(small)[:, 1]
    np.testing.assert_allclose(approx.sum(axis=1) + base, np.log(p / (1 - p)), atol=1e-4)


TOY_MODULE = '''
"""A toy model: a logistic curve along the difference of the class means."""

import numpy as np
from pydantic import Field
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from churnlab.config.models import ModelSection
from churnlab.modeling.spec import ModelSpec, per_feature, qualified


class ToyParams(ModelSection):
    C: float = Field(1.0, gt=0)
    n_jobs: int = Field(2, gt=0)


class ToyClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, C=1.0, n_jobs=2):
        self.C = C
        self.n_jobs = n_jobs

    def fit(self, X, y):
        X, y = np.asarray(X, dtype="float64"), np.asarray(y)
        spread = X.std(axis=0)
        gap = X[y == 1].mean(axis=0) - X[y == 0].mean(axis=0)
        self.direction_ = np.where(spread > 1e-9, gap / np.maximum(spread, 1e-9) ** 2, 0.0)
        curve = LogisticRegression(C=self.C).fit((X @ self.direction_)[:, None], y)
        self.a_, self.b_ = float(curve.coef_[0, 0]), float(curve.intercept_[0])
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        margin = self.a_ * (np.asarray(X, dtype="float64") @ self.direction_) + self.b_
        p = 1 / (1 + np.exp(-margin))
        return np.column_stack([1 - p, p])


def contributions(model, X):
    values = np.asarray(X, dtype="float64") * (model.a_ * model.direction_)
    return per_feature(values, np.full(len(X), model.b_), X)


SPECS = (
    ModelSpec(
        name="toy",
        params=ToyParams,
        make=lambda p, y: ToyClassifier(**p.toy.model_dump()),
        estimator=ToyClassifier,
        complexity=100,
        contributions=contributions,
        single_threaded={"n_jobs": 1},
        trusted_types=(qualified(ToyClassifier),),
    ),
)
'''


@pytest.fixture
def toy(tmp_path, monkeypatch, request):
    """A toy model added as the project would add one: a module in the zoo's folder (here a
    second folder of the zoo package), found by the registry's own discovery."""
    (tmp_path / "toy.py").write_text(textwrap.dedent(TOY_MODULE))
    monkeypatch.setattr(zoo, "__path__", [*zoo.__path__, str(tmp_path)])
    request.addfinalizer(lambda: sys.modules.pop("churnlab.modeling.zoo.toy", None))
    request.addfinalizer(lambda: vars(zoo).pop("toy", None))
    found = registry.discover()
    assert set(found) == set(REGISTRY) | {"toy"}
    monkeypatch.setitem(REGISTRY, "toy", found["toy"])
    return found["toy"]


def test_a_toy_model_needs_only_its_module_and_params_section(toy, parts):
    # Its params section, as config.models would declare it: a field of TrainParams.
    params_class = create_model("ToyTrainParams", __base__=TrainParams, toy=(toy.params, ...))
    p = params_class.model_validate({"model": "toy", "toy": {"C": 0.5}})
    with pytest.raises(ValueError, match=r"must be one of .*toy"):
        params_class.model_validate({"model": "toys", "toy": {}})
    spec = spec_for(p.model)
    assert spec is toy and spec.section(p).C == 0.5
    model = train(spec, p, parts)
    assert model.C == 0.5
    calibrated = calibrate(model, parts["valid"]["features"], parts["valid"]["y"], "isotonic")
    X = parts["test"]["features"].head(100)
    contribs, base = model_contributions(calibrated, X)
    q = model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(contribs.sum(axis=1) + base, np.log(q / (1 - q)), atol=1e-9)
    assert crossval.single_threaded(p).toy.n_jobs == 1
    rows = np.arange(len(parts["train"]["y"]))
    data = (parts["train"]["features"], parts["train"]["y"])
    valid = (parts["valid"]["features"], parts["valid"]["y"])
    scores = crossval.score_fold("toy", p, *data, *valid, rows[::2], rows[1::2])
    assert scores["roc_auc"] > 0.65
