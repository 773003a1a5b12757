"""The default pipeline's CPU cuts (issue 13, the 60 s target) change no figure: the shared
bootstrap draw gives the intervals of a separate draw, and calibrating on validation scores
computed once gives the same model object and scores as re-scoring in every fold."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from churnlab import metrics
from churnlab.config.params import Params
from churnlab.modeling import calibration, training


def sample(n: int = 600, seed: int = 3):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(float)
    model = np.round(rng.random(n) * 0.6 + 0.3 * y, 3)  # ties, as rounded scores have
    oracle = rng.random(n) * 0.5 + 0.4 * y
    return y, model, oracle


def test_paired_draw_gives_the_separate_draws_figures():
    y, model, oracle = sample()
    replicates = metrics.paired_replicates(y, oracle, model, 150, 7)
    separate = metrics.bootstrap_intervals(y, model, 150, 7, 0.9)
    assert metrics.intervals_from_replicates(replicates[1], 0.9) == separate
    paired = metrics.paired_from_replicates(y, oracle, model, replicates)
    assert paired == metrics.paired_bootstrap(y, oracle, model, 150, 7)
    assert paired["roc_auc"]["difference"] > 0  # the oracle ranks better here


def test_bootstrap_replicates_match_weighted_counts():
    """The negatives counted as picks less positives equal counting them directly."""
    y, model, _ = sample(200, 5)
    auc, ap = metrics.bootstrap_replicates(y, model, 40, 11)
    picks = np.random.default_rng(11).integers(0, len(y), size=(40, len(y)))
    weights = np.stack([np.bincount(row, minlength=len(y)) for row in picks]).astype(float)
    auc2, ap2 = metrics._weighted_ranking_metrics(y, model, weights)
    np.testing.assert_allclose(auc, auc2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ap, ap2, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_on_scores_is_the_calibrated_fit(method):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + rng.normal(size=400) > 0.8).astype(int)
    model = LogisticRegression().fit(X[:200], y[:200])
    params = Params.model_validate({"train": {"calibration": method, "seed": 4}})
    _, calibrated, scores, report, _ = training.fit_calibrated(
        params, None, None, X[200:], y[200:], model
    )
    expected = calibration.calibrate(model, X[200:], y[200:], method)
    np.testing.assert_array_equal(scores, expected.predict_proba(X[200:])[:, 1])
    crossfit = calibration.crossfit_scores(model, X[200:], y[200:], method, 4)
    raw = model.predict_proba(X[200:])[:, 1]
    bins = params.evaluate.calibration_bins
    assert report == {"method": method} | calibration.calibration_report(
        y[200:], raw, scores, crossfit, bins
    )
    assert sorted(vars(calibrated)) == sorted(vars(expected))  # the same saved object
    assert calibrated.estimator.estimator.estimator is model


class CountingFeatures:
    """A featurizer stand-in that counts its transforms (each makes a new frame)."""

    def __init__(self) -> None:
        self.calls = 0

    def get_feature_names_out(self):
        return np.array(["tenure_days"])

    def transform(self, frame):
        self.calls += 1
        return pd.DataFrame({"tenure_days": np.arange(len(frame), dtype=float)})


def test_evaluate_values_the_test_features_it_scored(monkeypatch):
    """The survival valuation reads the features scoring made: no second transform."""
    from churnlab.evaluation import valuation

    seen = []

    class Survival:
        offer = None  # as a saved SurvivalModel without the past-offer covariate

        def table(self, features, customers):
            seen.append(features)
            return pd.DataFrame({"value": features["tenure_days"] * 2.0})

    monkeypatch.setattr(valuation.survival_artifact, "load", lambda path, names: Survival())
    monkeypatch.setattr(valuation, "feature_frame", lambda test: test)
    features = CountingFeatures()
    pipeline = SimpleNamespace(named_steps={"features": features})
    test = pd.DataFrame({"customer_key": ["a", "b", "c"]})
    ran = {"n_test": 3, "value": {}}
    params = Params()
    made = features.transform(test)
    table = valuation.survival_table(params, pipeline, test, ran, transformed=made)
    assert seen[-1] is made and features.calls == 1
    assert table["value"].tolist() == [0.0, 2.0, 4.0]
    again = valuation.survival_table(params, pipeline, test, ran)  # nothing made: made here, once
    assert features.calls == 2 and again.equals(table)


@pytest.mark.parametrize("norm", ["l2", "none"])
def test_tfidf_fit_transform_is_fit_then_transform(norm):
    """Tokenizing the train text once gives the matrix of fitting, then transforming."""
    from churnlab.features.text import DenseTfidf

    rng = np.random.default_rng(1)
    words = np.array(["late", "bill", "refund", "slow", "app", "thanks", "cancel", "price"])
    text = [" ".join(rng.choice(words, size=rng.integers(0, 6))) for _ in range(300)]
    X = pd.DataFrame({"ticket_text": text})
    X.loc[::17, "ticket_text"] = None  # a missing text is an empty one
    once = DenseTfidf(max_features=12, min_df=3, norm=norm)
    matrix = once.fit_transform(X)
    twice = DenseTfidf(max_features=12, min_df=3, norm=norm).fit(X)
    np.testing.assert_array_equal(matrix, twice.transform(X))
    assert matrix.dtype == np.float32 and matrix.shape == (300, 12)
    assert list(once.get_feature_names_out()) == list(twice.get_feature_names_out())
    np.testing.assert_array_equal(once.transform(X), matrix)


def dvclive_files(model, final: dict, where) -> dict[str, bytes]:
    """What ``dvclive.Live`` writes for the same curves (the train stage's former logger)."""
    from dvclive import Live

    from churnlab.stages.train import curves

    series = curves(model, final)
    steps = len(next(iter(series.values())))
    with Live(dir=str(where), dvcyaml=None, save_dvc_exp=False, report=None) as live:
        for step in range(steps):
            live.step = step
            for name, values in series.items():
                live.log_metric(name, values[step])
    return {p.relative_to(where).as_posix(): p.read_bytes() for p in where.rglob("*.*")}


class Boosted:
    def __init__(self, rounds: int) -> None:
        rng = np.random.default_rng(rounds)
        self.history = {
            source: {metric: list(rng.random(rounds)) for metric in ("logloss", "auc")}
            for source in ("validation_0", "validation_1")
        }

    def evals_result(self):
        return self.history


@pytest.mark.parametrize("model", [Boosted(7), Boosted(1), object()])
def test_training_curves_are_dvclives_files(model, tmp_path, monkeypatch):
    from churnlab.config import paths
    from churnlab.stages import train

    final = {"logloss": 0.3234567891, "auc": 0.84}
    expected = dvclive_files(model, final, tmp_path / "dvclive")
    stale = tmp_path / "ours" / "plots" / "metrics" / "train" / "old.tsv"
    stale.parent.mkdir(parents=True)
    stale.write_text("step\told\n")  # an earlier run's curve does not stay
    monkeypatch.setattr(paths, "TRAIN_LIVE", tmp_path / "ours")
    train.log_curves(model, final)
    ours = tmp_path / "ours"
    assert {p.relative_to(ours).as_posix(): p.read_bytes() for p in ours.rglob("*.*")} == expected
    curves = [name for name in expected if name.endswith(".tsv")]
    assert len(curves) == (4 if isinstance(model, Boosted) else 2)


def test_a_model_without_history_gets_one_step_on_train_and_valid():
    from churnlab.stages import train

    series = train.curves(object(), {"logloss": 0.3, "auc": 0.8}, {"logloss": 0.25, "auc": 0.9})
    assert series == {
        "train/logloss": [0.25],
        "train/auc": [0.9],
        "valid/logloss": [0.3],
        "valid/auc": [0.8],
    }
    assert not train.has_history(object()) and train.has_history(Boosted(3))
