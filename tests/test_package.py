"""Saving and loading pipelines: exact roundtrip, byte-stable files, an enforced allow-list."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.dummy import DummyClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from churnlab import package
from churnlab.config.columns import TARGET
from churnlab.errors import UserError
from churnlab.features import feature_frame
from churnlab.modeling.registry import REGISTRY
from conftest import small_params


class Gadget:
    """A class no churnlab file should ever ask the loader to build."""

    def __init__(self):
        self.payload = [1, 2, 3]


def _fit_pipelines(split_parts, fitted_featurizer, names) -> dict[str, Pipeline]:
    """One inference pipeline per registry model named, shaped like the train stage saves them."""
    p = small_params().train
    train, valid = split_parts["train"], split_parts["valid"]
    raw = {"train": feature_frame(train), "valid": feature_frame(valid)}
    matrix = {k: fitted_featurizer.transform(v).astype("float32") for k, v in raw.items()}
    out = {}
    for name in names:
        spec = REGISTRY[name]
        X = matrix if spec.uses_features else raw
        model = spec.fit(
            spec.make(p, train[TARGET].to_numpy()),
            X["train"],
            train[TARGET].to_numpy(),
            X["valid"],
            valid[TARGET].to_numpy(),
        )
        steps = [("model", model)]
        if spec.uses_features:
            steps.insert(0, ("features", fitted_featurizer))
        out[name] = Pipeline(steps)
    return out


@pytest.fixture(scope="module")
def pipelines(split_parts, fitted_featurizer) -> dict[str, Pipeline]:
    return _fit_pipelines(split_parts, fitted_featurizer, sorted(REGISTRY))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_roundtrip_gives_identical_probabilities(pipelines, split_parts, tmp_path, name):
    path = tmp_path / "pipeline.skops"
    package.save(pipelines[name], path)
    loaded = package.load(path)
    X = feature_frame(split_parts["test"])
    np.testing.assert_array_equal(loaded.predict_proba(X), pipelines[name].predict_proba(X))
    assert list(loaded.named_steps) == list(pipelines[name].named_steps)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_saving_twice_gives_identical_bytes(pipelines, tmp_path, name):
    package.save(pipelines[name], tmp_path / "a.skops")
    package.save(pipelines[name], tmp_path / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()


@pytest.mark.parametrize("name", ["catboost", "blend"])
def test_fitting_again_saves_identical_bytes(
    pipelines, split_parts, fitted_featurizer, tmp_path, name
):
    """The same fit twice gives the same file, as dvc.lock's hash of the model needs. CatBoost
    stamps each fit with a random GUID and its finish time unless the wrapper blanks them."""
    again = _fit_pipelines(split_parts, fitted_featurizer, [name])[name]
    package.save(pipelines[name], tmp_path / "a.skops")
    package.save(again, tmp_path / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()


@pytest.mark.e2e
def test_saved_file_does_not_depend_on_the_process(pipelines, tmp_path):
    """Another interpreter with another string-hash seed writes the same bytes."""
    pickled = tmp_path / "pipeline.pkl"
    pickled.write_bytes(pickle.dumps(pipelines["logreg"]))  # text features: hash-order prone
    script = (
        "import pickle, sys\nfrom churnlab import package\n"
        "package.save(pickle.load(open(sys.argv[1], 'rb')), sys.argv[2])\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(pickled), str(tmp_path / seed)],
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for seed in ("1", "2")
    ]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    assert (tmp_path / "1").read_bytes() == (tmp_path / "2").read_bytes()


def test_skops_without_its_estimator_list_writes_and_reads_the_same(pipelines, tmp_path):
    """package.skops_io skips skops' import-time list of every scikit-learn estimator (its
    default allow-list); in a fresh interpreter the file is the same bytes as here, where
    skops was imported as usual, it loads back, and scikit-learn is left as it was."""
    pickled = tmp_path / "pipeline.pkl"
    pickled.write_bytes(pickle.dumps(pipelines["xgboost"]))
    script = (
        "import pickle, sys\nfrom churnlab import package\n"
        "package.save(pickle.load(open(sys.argv[1], 'rb')), sys.argv[2])\n"
        "package.load(sys.argv[2])\n"
        "import sklearn.utils, sklearn.utils.discovery\n"
        "from skops.io import _trusted_types\n"
        "assert sklearn.utils.all_estimators is sklearn.utils.discovery.all_estimators\n"
        "print(len(_trusted_types.SKLEARN_ESTIMATOR_TYPE_NAMES))\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(pickled), str(tmp_path / "child.skops")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "0"  # the default list was skipped there
    assert len(sio.get_untrusted_types(data=sio.dumps(DummyClassifier()))) == 0  # not here
    package.save(pickle.loads(pickled.read_bytes()), tmp_path / "here.skops")
    assert (tmp_path / "child.skops").read_bytes() == (tmp_path / "here.skops").read_bytes()


def test_saved_file_has_no_wall_clock_dates(pipelines, tmp_path):
    package.save(pipelines["logreg"], tmp_path / "p.skops")
    with zipfile.ZipFile(tmp_path / "p.skops") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "schema.json" in archive.namelist()


def fitted_forest() -> KNeighborsClassifier:
    """A scikit-learn estimator outside the allow-list (random forests are in the zoo now)."""
    rng = np.random.default_rng(0)
    return KNeighborsClassifier(n_neighbors=3).fit(rng.normal(size=(40, 3)), np.arange(40) % 2)


@pytest.mark.parametrize("make", [Gadget, fitted_forest], ids=["test-module-class", "forest"])
def test_file_with_an_untrusted_type_is_refused(tmp_path, make):
    path = tmp_path / "foreign.skops"
    path.write_bytes(sio.dumps(make()))
    with pytest.raises(UserError, match="refused: it asks for types outside the allow-list"):
        package.load(path)


def test_untrusted_type_inside_a_pipeline_is_refused(tmp_path, fitted_featurizer):
    path = tmp_path / "tampered.skops"
    path.write_bytes(
        sio.dumps(Pipeline([("features", fitted_featurizer), ("model", fitted_forest())]))
    )
    # Random forests are in the zoo (trusted) now; a k-nearest-neighbours classifier is not.
    with pytest.raises(UserError, match=r"KNeighborsClassifier"):
        package.load(path)


def test_saving_an_untrusted_type_is_refused(tmp_path):
    path = tmp_path / "model.skops"
    with pytest.raises(RuntimeError, match="outside the allow-list"):
        package.save(fitted_forest(), path)
    assert not path.exists()


def test_scikit_learn_estimator_outside_the_allow_list_is_refused(
    tmp_path, fitted_featurizer, split_parts
):
    train = split_parts["train"]
    always_stays = DummyClassifier(strategy="constant", constant=0).fit(
        fitted_featurizer.transform(feature_frame(train)), train[TARGET]
    )
    path = tmp_path / "tampered.skops"
    path.write_bytes(
        sio.dumps(Pipeline([("features", fitted_featurizer), ("model", always_stays)]))
    )
    with pytest.raises(UserError, match="DummyClassifier"):
        package.load(path)


@pytest.mark.parametrize("content", [b"not a zip file at all", b"", b"PK\x03\x04broken"])
def test_non_zip_file_is_refused(tmp_path, content):
    path = tmp_path / "model.skops"
    path.write_bytes(content)
    with pytest.raises(UserError, match="is not a churnlab model package"):
        package.load(path)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match=r"missing\.skops is missing"):
        package.load(tmp_path / "missing.skops")


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("xgboost", "sigmoid"),
        ("lightgbm", "isotonic"),
        ("catboost", "sigmoid"),
        ("rules", "isotonic"),
    ],
)
def test_calibrated_pipeline_roundtrip(pipelines, split_parts, tmp_path, name, method):
    """What train saves: the featurizer and the model frozen inside a calibrator."""
    from churnlab.modeling.calibration import calibrate

    model = pipelines[name].named_steps["model"]
    valid = split_parts["valid"]
    X_valid = feature_frame(valid)
    if "features" in pipelines[name].named_steps:
        X_valid = pipelines[name].named_steps["features"].transform(X_valid).astype("float32")
    calibrated = calibrate(model, X_valid, valid[TARGET].to_numpy(), method)
    steps = [*pipelines[name].steps[:-1], ("model", calibrated)]
    path = tmp_path / "calibrated.skops"
    package.save(Pipeline(steps), path)
    loaded = package.load(path)
    X = feature_frame(split_parts["test"])
    np.testing.assert_array_equal(loaded.predict_proba(X), Pipeline(steps).predict_proba(X))
    package.save(Pipeline(steps), tmp_path / "again.skops")
    assert (tmp_path / "again.skops").read_bytes() == path.read_bytes()
