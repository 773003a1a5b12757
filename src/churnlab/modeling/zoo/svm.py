"""Support vector machines: linear (``train.model: svm_linear``) and RBF-kernel
(``svm_rbf``), with probabilities from a sigmoid of the margin (:class:`MarginSigmoid`).

The kernel SVM refuses or subsamples past ``train.svm_rbf.max_rows`` rows, where its O(n²)
cost becomes impractical. The linear SVM is explained exactly (its log-odds are linear in the
standardised features); the kernel SVM has no exact method here.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.utils.validation import check_is_fitted

from churnlab.config.models import SVMLinearParams, SVMRBFParams, TrainParams
from churnlab.errors import UserError
from churnlab.modeling.spec import Contributions, ModelSpec, per_feature, qualified
from churnlab.modeling.zoo.common import class_weight, scaled

log = logging.getLogger(__name__)


class MarginSigmoid(ClassifierMixin, BaseEstimator):
    """A margin classifier (SVM) with probabilities ``sigmoid(a * margin + b)``.

    ``a`` and ``b`` come from a logistic regression on the training margins (Platt's idea
    without its internal cross-validation, which would fit the SVM five more times); the train
    stage recalibrates on validation anyway. Past ``max_rows`` rows (``None``: no limit) the
    fit subsamples, stratified and seeded, with a warning, or refuses.
    """

    def __init__(self, estimator=None, max_rows=None, oversize="subsample", random_state=0):
        self.estimator = estimator
        self.max_rows = max_rows
        self.oversize = oversize
        self.random_state = random_state

    def _limit(self, X, y):
        n = len(y)
        if self.max_rows is None or n <= self.max_rows:
            return X, y
        if self.oversize == "refuse":
            raise UserError(
                f"train.svm_rbf.max_rows: an RBF SVM on {n:,} rows is impractical (O(n²) time and "
                f"memory; the limit is {self.max_rows:,}); raise train.svm_rbf.max_rows, set "
                "train.svm_rbf.oversize: subsample, or choose another train.model"
            )
        log.warning(
            "svm_rbf: %d training rows exceed train.svm_rbf.max_rows=%d; fitting on a stratified "
            "sample of %d rows (train.svm_rbf.oversize: subsample)",
            n,
            self.max_rows,
            self.max_rows,
        )
        keep, _ = train_test_split(
            np.arange(n), train_size=self.max_rows, stratify=y, random_state=self.random_state
        )
        keep = np.sort(keep)
        return X.iloc[keep] if hasattr(X, "iloc") else X[keep], np.asarray(y)[keep]

    def fit(self, X, y):
        X, y = self._limit(X, np.asarray(y))
        self.estimator_ = clone(self.estimator).fit(X, y)
        margin = self.estimator_.decision_function(X).reshape(-1, 1)
        platt = LogisticRegression(C=1e4).fit(margin, y)
        self.a_, self.b_ = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(self.a_ * self.decision_function(X) + self.b_)))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def make_linear(p: TrainParams, y: np.ndarray) -> MarginSigmoid:
    # train.svm_linear's fields are LinearSVC's own arguments.
    svm = LinearSVC(**p.svm_linear.model_dump(), class_weight=class_weight(p), random_state=p.seed)
    return MarginSigmoid(scaled(svm), max_rows=None, random_state=p.seed)


def make_rbf(p: TrainParams, y: np.ndarray) -> MarginSigmoid:
    s = p.svm_rbf
    svm = SVC(C=s.C, kernel="rbf", gamma=s.gamma, class_weight=class_weight(p))
    return MarginSigmoid(scaled(svm), max_rows=s.max_rows, oversize=s.oversize, random_state=p.seed)


def importance(model: MarginSigmoid, names: list[str]) -> pd.Series:
    inner = model.estimator_
    inner = inner.steps[-1][1] if hasattr(inner, "steps") else inner  # after the scaler
    if hasattr(inner, "coef_"):
        return pd.Series(np.abs(inner.coef_[0]), index=names, name="abs_coefficient")
    return pd.Series(dtype=float, name="none")


def contributions(model: MarginSigmoid, X: pd.DataFrame) -> Contributions:
    """Exact for a linear kernel; a kernel SVM raises ``NotImplementedError``."""
    scaler, inner = model.estimator_[0], model.estimator_[-1]
    if not hasattr(inner, "coef_"):
        raise NotImplementedError(f"no explanation method for {type(model).__name__}")
    # log-odds = a * (w . standardised x + c) + b: each term a * w_j * z_j is exact.
    values = scaler.transform(X) * (model.a_ * inner.coef_[0])
    base = np.full(len(X), model.a_ * float(inner.intercept_[0]) + model.b_)
    return per_feature(values, base, X)


# A fitted SVM holds the scaler pipeline and the SVM inside the sigmoid.
_WRAPPER = (qualified(MarginSigmoid), qualified(Pipeline), qualified(StandardScaler))
SPECS = (
    ModelSpec(
        name="svm_linear",
        params=SVMLinearParams,
        make=make_linear,
        estimator=MarginSigmoid,
        complexity=2,
        importance=importance,
        contributions=contributions,
        trusted_types=(*_WRAPPER, qualified(LinearSVC)),
    ),
    ModelSpec(
        name="svm_rbf",
        params=SVMRBFParams,
        make=make_rbf,
        estimator=MarginSigmoid,
        complexity=4,
        importance=importance,
        contributions=contributions,
        trusted_types=(*_WRAPPER, qualified(SVC)),
    ),
)
