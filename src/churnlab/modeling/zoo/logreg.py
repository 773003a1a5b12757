"""Logistic regression (``train.model: logreg``), also the baselines stage's and the
leaderboard's linear baseline.

Fitted on standardised columns (the featurizer leaves some in their own units, e.g. days),
with the Newton-Cholesky solver for the L2 penalty at a tight fixed tolerance: it converges in
a few iterations and to the same coefficients whatever the BLAS thread count (lbfgs on the raw
float32 matrix took ~350 iterations and its result moved with the thread count; the fit
runs on one BLAS thread, see ``fit``). The
coefficients are then mapped back to the columns' own units, so scoring, importance and the
exact explanation (each feature contributes coefficient × value to the log-odds) read the
matrix as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_array
from threadpoolctl import threadpool_limits

from churnlab.config.models import LogRegParams, TrainParams
from churnlab.modeling.spec import Contributions, ModelSpec, per_feature, qualified
from churnlab.modeling.zoo.common import class_weight

# Newton-Cholesky stops when the largest gradient entry is below this: far below what moves
# a score, so fits that differ only in floating-point summation order agree to ~1e-12.
TOLERANCE = 1e-10


class StandardizedLogisticRegression(LogisticRegression):
    """``LogisticRegression`` fitted on standardised columns; ``coef_`` and ``intercept_`` are
    then expressed in the columns' own units (``center_``/``scale_`` keep the standardisation)."""

    def fit(self, X, y, sample_weight=None):
        values = check_array(X, dtype="float64")  # the usual errors: NaN, 1-D, sparse, empty
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype="float64")
        if weights is not None and not weights.sum() > 0:
            weights = None  # LogisticRegression.fit refuses them with its own message
        center = np.average(values, axis=0, weights=weights)
        scale = np.sqrt(np.average((values - center) ** 2, axis=0, weights=weights))
        scale[~(scale > 0)] = 1.0  # a constant column stays as it is (its coefficient is 0)
        standardised = (values - center) / scale
        if isinstance(X, pd.DataFrame):  # keep the column names (feature_names_in_)
            standardised = pd.DataFrame(standardised, columns=X.columns, index=X.index)
        # One BLAS thread: the Gram matrix of ~150 columns is too small for threads to pay,
        # and their busy-waiting cost several CPU seconds per fit on a shared machine.
        with threadpool_limits(limits=1, user_api="blas"):
            super().fit(standardised, y, sample_weight=sample_weight)
        self.coef_ = self.coef_ / scale
        self.intercept_ = self.intercept_ - self.coef_ @ center
        self.center_, self.scale_ = center, scale
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False  # standardising would densify a sparse matrix
        return tags


def make(p: TrainParams, y: np.ndarray) -> StandardizedLogisticRegression:
    # scikit-learn 1.8+ spells the penalty as l1_ratio (0: L2, 1: L1, between: elastic net).
    lr = p.logreg
    l1_ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": lr.l1_ratio}[lr.penalty]
    return StandardizedLogisticRegression(
        C=lr.C,
        l1_ratio=l1_ratio,
        solver="newton-cholesky" if l1_ratio == 0 else "saga",
        tol=TOLERANCE if l1_ratio == 0 else 1e-4,
        max_iter=lr.max_iter,
        random_state=p.seed,
        class_weight=class_weight(p),
    )


def importance(model: LogisticRegression, names: list[str]) -> pd.Series:
    return pd.Series(np.abs(model.coef_[0]), index=names, name="abs_coefficient")


def contributions(model: LogisticRegression, X: pd.DataFrame) -> Contributions:
    values = X.to_numpy(dtype="float64") * model.coef_[0]
    return per_feature(values, np.full(len(X), float(model.intercept_[0])), X)


SPECS = (
    ModelSpec(
        name="logreg",
        params=LogRegParams,
        make=make,
        estimator=StandardizedLogisticRegression,
        complexity=1,
        importance=importance,
        contributions=contributions,
        trusted_types=(qualified(StandardizedLogisticRegression),),
    ),
)
