"""The logistic regression (baseline and ``train.model: logreg``): fitted on standardised
columns with Newton-Cholesky, so its predictions do not depend on the BLAS thread count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from churnlab.config.params import TrainParams
from churnlab.modeling.registry import REGISTRY, spec_of
from churnlab.modeling.zoo.logreg import TOLERANCE, StandardizedLogisticRegression


@pytest.fixture(scope="module")
def data():
    """Columns in very different units (days, shares, counts), float32 as the featurizer writes."""
    rng = np.random.default_rng(7)
    n = 4000
    frame = pd.DataFrame(
        {
            "days_since_login": rng.exponential(400, n),
            "share_used": rng.uniform(0, 0.01, n),
            "tickets": rng.poisson(3, n).astype(float),
            "constant": np.full(n, 5.0),
            **{f"noise_{i}": rng.normal(i, 10**i, n) for i in range(4)},
        }
    ).astype("float32")
    logit = -1 + frame["days_since_login"] / 400 - 200 * frame["share_used"] + 0.2 * frame.tickets
    y = rng.binomial(1, 1 / (1 + np.exp(-logit.to_numpy(dtype=float))))
    return frame, y


def fit(frame, y, **train):
    spec = REGISTRY["logreg"]
    return spec.fit(spec.make(TrainParams(**train), y), frame, y, None, None)


def test_the_same_predictions_with_one_or_two_blas_threads(data):
    frame, y = data
    predictions = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            predictions.append(fit(frame, y).predict_proba(frame)[:, 1])
    np.testing.assert_allclose(predictions[0], predictions[1], rtol=0, atol=1e-9)


def test_it_is_the_standardised_model_in_the_columns_own_units(data):
    frame, y = data
    model = fit(frame, y)
    assert spec_of(model) is REGISTRY["logreg"] and model.n_iter_[0] < 20
    reference = make_pipeline(
        StandardScaler(), LogisticRegression(solver="newton-cholesky", tol=TOLERANCE)
    ).fit(frame.to_numpy(dtype=float), y)
    expected = reference.predict_proba(frame.to_numpy(dtype=float))[:, 1]
    np.testing.assert_allclose(model.predict_proba(frame)[:, 1], expected, rtol=0, atol=1e-9)
    # the exact explanation still adds up: coefficient x value plus the intercept
    log_odds = frame.to_numpy(dtype=float) @ model.coef_[0] + model.intercept_[0]
    np.testing.assert_allclose(model.decision_function(frame), log_odds, rtol=1e-9, atol=1e-9)
    assert model.coef_[0][list(frame.columns).index("constant")] == 0.0
    assert list(model.feature_names_in_) == list(frame.columns)


def test_l1_keeps_the_saga_solver(data):
    frame, y = data
    model = fit(frame, y, logreg={"penalty": "l1"})
    assert isinstance(model, StandardizedLogisticRegression) and model.solver == "saga"
    assert model.predict_proba(frame).shape == (len(y), 2)
