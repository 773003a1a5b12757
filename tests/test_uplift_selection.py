"""Choosing the uplift learner by cross-validated Qini on train (churnlab.uplift.selection)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from churnlab import package
from churnlab.config.uplift import UpliftParams
from churnlab.errors import UserError
from churnlab.modeling.registry import spec_for
from churnlab.uplift import metrics, report, selection
from conftest import small_params


def _campaign(n: int, seed: int, treated_share: float = 0.3) -> report.Campaign:
    """Uplift 0.3 where ``b`` > 0, none elsewhere; keys like the project's."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    t = (rng.random(n) < treated_share).astype(int)
    tau = np.where(X["b"] > 0, 0.3, 0.0)
    churned = (rng.random(n) < 0.5 - tau * t).astype(int)
    keys = np.array([f"c{seed}_{i}" for i in range(n)])
    return report.Campaign(X, churned, t, np.full(n, treated_share), tau, keys)


def test_folds_are_stratified_and_a_pure_function_of_key_and_seed():
    c = _campaign(2000, 0)
    fold = selection.assign_folds(c.keys, c.churned, c.treatment, 4, seed=7)
    assert set(fold) == {0, 1, 2, 3}
    for arm in (0, 1):
        for label in (0, 1):
            counts = np.bincount(fold[(c.treatment == arm) & (c.churned == label)], minlength=4)
            assert counts.max() - counts.min() <= 1  # every stratum dealt evenly
    # Another row order: every customer keeps its fold.
    order = np.random.default_rng(1).permutation(len(fold))
    again = selection.assign_folds(c.keys[order], c.churned[order], c.treatment[order], 4, 7)
    np.testing.assert_array_equal(again, fold[order])
    # Another seed: other folds.
    assert (selection.assign_folds(c.keys, c.churned, c.treatment, 4, 8) != fold).mean() > 0.5


class _Score:
    """A 'learner' whose uplift is a fixed function of the features."""

    def __init__(self, function):
        self.function = function

    def predict(self, X):
        return self.function(X)


def test_cross_validation_scores_held_out_folds_and_keeps_the_best():
    train = _campaign(3000, 1)
    seen = []

    def fit(names, part):
        seen.append(set(part.keys))
        return {
            "truth": _Score(lambda X: (X["b"] > 0).astype(float).to_numpy()),
            "noise": _Score(lambda X: X["c"].to_numpy()),
            "reverse": _Score(lambda X: -X["b"].to_numpy()),
        }

    cv = selection.cross_validate(fit, ["truth", "noise", "reverse"], train, 3, seed=0, top=2)
    # Each fit saw the other folds only; together the held-out folds are all of train.
    fold = selection.assign_folds(train.keys, train.churned, train.treatment, 3, 0)
    for number, keys in enumerate(seen):
        assert keys == set(train.keys[fold != number])
    held_out = train.take(np.flatnonzero(fold == 0))
    truth = (held_out.X["b"] > 0).astype(float)
    assert cv["truth"]["folds"][0] == pytest.approx(
        metrics.qini_coefficient(held_out.stayed, truth, held_out.treatment), abs=1e-6
    )
    assert cv["truth"]["mean"] > cv["noise"]["mean"] > cv["reverse"]["mean"]
    assert cv["truth"]["std"] == pytest.approx(np.std(cv["truth"]["folds"], ddof=1), abs=1e-5)
    assert cv["average"]["members"] == ["truth", "noise"]  # the two best
    assert selection.best(cv) == "truth"  # noise dilutes the average


def test_a_fold_without_treated_customers_is_a_clear_error():
    train = _campaign(40, 2, treated_share=0.05)
    fit = lambda names, part: {"x": _Score(lambda X: X["a"].to_numpy())}  # noqa: E731
    with pytest.raises(UserError, match=r"uplift.cv_folds: fold .* no treated customer"):
        selection.cross_validate(fit, ["x"], train, 20, seed=0)


def test_real_learners_cross_validate_and_the_average_round_trips(tmp_path):
    train, valid = _campaign(2000, 3), _campaign(800, 4)
    base = spec_for("logreg").make(small_params().train, train.churned)
    fit = lambda names, part: report.fit_learners(names, base, part, valid, seed=0)  # noqa: E731
    cv = selection.cross_validate(fit, ["s", "t"], train, 2, seed=0, top=2)
    assert set(cv) == {"s", "t", "average"} and all(len(c["folds"]) == 2 for c in cv.values())
    # The T-learner finds the effect of b (half the oracle's Qini at least); a linear
    # S-learner cannot (the offer's effect is an interaction), and ranks below it.
    oracle = metrics.qini_coefficient(train.stayed, train.true_uplift, train.treatment)
    assert cv["t"]["mean"] > 0.5 * oracle > 0 and cv["t"]["mean"] > cv["s"]["mean"]
    assert cv["average"]["members"] == ["t", "s"]
    fitted = fit(["s", "t"], train)
    average = selection.AverageLearner([fitted["s"], fitted["t"]]).fit()
    test = _campaign(500, 5)
    expected = (fitted["s"].predict(test.X) + fitted["t"].predict(test.X)) / 2
    np.testing.assert_allclose(average.predict(test.X), expected)
    package.save(average, tmp_path / "uplift.skops")
    np.testing.assert_allclose(package.load(tmp_path / "uplift.skops").predict(test.X), expected)


def test_one_fold_is_refused():
    with pytest.raises(ValidationError, match="at least 2"):
        UpliftParams(cv_folds=1)
    assert UpliftParams(cv_folds=0).cv_folds == 0


def test_the_preferred_learner_stays_unless_beaten_beyond_the_noise():
    valid = _campaign(3000, 6)
    y, t, X = valid.stayed, valid.treatment, valid.X
    truth = (X["b"] > 0).astype(float).to_numpy()
    # A hair better than `blurred` on these customers, but not beyond the bootstrap's noise.
    rng = np.random.default_rng(0)
    blurred = truth + rng.normal(0, 0.6, len(truth))
    close = truth + rng.normal(0, 0.55, len(truth))
    scores = {"blurred": blurred, "close": close, "noise": X["c"].to_numpy()}
    diff = metrics.qini_coefficient(y, close, t) - metrics.qini_coefficient(y, blurred, t)
    kept, versus = selection.preferred(y, t, scores, "blurred", 100, seed=0, confidence=0.95)
    assert kept == "blurred" and set(versus) == {"close", "noise"}
    assert versus["close"]["value"] == pytest.approx(diff)
    assert versus["close"]["low"] < 0 < versus["close"]["high"]  # within the noise
    assert versus["noise"]["high"] < 0  # clearly worse
    # A clearly better candidate replaces a poor preferred one; the paired intervals agree.
    kept, versus = selection.preferred(y, t, scores, "noise", 100, seed=0, confidence=0.95)
    assert kept in {"blurred", "close"} and versus[kept]["low"] > 0
    assert kept == max(("blurred", "close"), key=lambda n: versus[n]["value"])
    assert selection.preferred(y, t, {"only": truth}, "only", 100, 0, 0.95) == ("only", {})


def test_the_default_preferred_learner_is_a_default_candidate():
    assert UpliftParams().prefer in UpliftParams().candidates
    assert UpliftParams(prefer="").prefer == ""
    with pytest.raises(ValidationError, match="prefer"):
        UpliftParams(prefer="shift_corected")
