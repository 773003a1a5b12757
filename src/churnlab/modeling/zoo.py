"""The model zoo beyond XGBoost, logistic regression and the rules: factories and wrappers.

Decision tree, random forest, LightGBM, CatBoost, linear and RBF SVMs and a multilayer
perceptron, each built from its ``train.<model>`` params with class weighting switched by
``train.class_weight``. LightGBM and CatBoost are imported only when used (the serving image
needs them only for a model that is one of them) and are kept inside small scikit-learn
classifiers that persist the library's own model text, so skops stores strings and bytes, not
library objects. SVMs get probabilities from a sigmoid of their margin; the kernel SVM refuses
or subsamples past ``train.svm_rbf.max_rows`` rows, where its O(n²) cost becomes impractical.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from churnlab.config.params import TrainParams
from churnlab.errors import UserError

log = logging.getLogger(__name__)


def positive_weight(y: np.ndarray, p: TrainParams) -> float:
    """``scale_pos_weight`` of the boosted models: negatives per positive when balanced."""
    if p.class_weight != "balanced":
        return 1.0
    positives = max(int(np.sum(y)), 1)
    return (len(y) - positives) / positives


def class_weight(p: TrainParams) -> str | None:
    return "balanced" if p.class_weight == "balanced" else None


def _matrix(X) -> np.ndarray:
    return np.asarray(X, dtype="float32")


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


class _NativeBoosted(ClassifierMixin, BaseEstimator):
    """Base of the LightGBM/CatBoost wrappers: ``booster_`` is persisted as its model text."""

    def _dump(self, booster):  # pragma: no cover - overridden
        raise NotImplementedError

    def _load(self, blob):  # pragma: no cover - overridden
        raise NotImplementedError

    def __getstate__(self):
        state = super().__getstate__()
        if "booster_" in state:
            state = {**state, "booster_": self._dump(state["booster_"])}
        return state

    def __setstate__(self, state):
        if "booster_" in state:
            state = {**state, "booster_": self._load(state["booster_"])}
        super().__setstate__(state)

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def _fitted(self, booster, best_iteration: int, X):
        """Record what ``fit`` learned (the booster and its best round) and return self."""
        self.booster_ = booster
        self.best_iteration = best_iteration
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.shape(X)[1]
        return self


class LightGBMClassifier(_NativeBoosted):
    """LightGBM gradient boosting with early stopping on a validation set."""

    def __init__(
        self,
        n_estimators=2000,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=50,
        subsample=0.8,
        colsample_bytree=0.5,
        reg_lambda=1.0,
        scale_pos_weight=1.0,
        early_stopping_rounds=50,
        n_jobs=2,
        random_state=0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.scale_pos_weight = scale_pos_weight
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y, X_valid=None, y_valid=None):
        import lightgbm as lgb

        model = lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            scale_pos_weight=self.scale_pos_weight,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
            deterministic=True,
            verbose=-1,
        )
        kwargs = {}
        if X_valid is not None:
            kwargs = {
                "eval_X": _matrix(X_valid),
                "eval_y": np.asarray(y_valid),
                "eval_metric": ["binary_logloss", "auc"],
                "callbacks": [lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            }
        model.fit(_matrix(X), np.asarray(y), **kwargs)
        return self._fitted(model.booster_, int(model.best_iteration_ or model.n_estimators_), X)

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        p = self.booster_.predict(_matrix(X), num_iteration=self.best_iteration)
        return np.column_stack([1 - p, p])

    def contributions(self, X) -> np.ndarray:
        """Exact TreeSHAP: one column per feature plus the base value, in log-odds."""
        return self.booster_.predict(
            _matrix(X), num_iteration=self.best_iteration, pred_contrib=True
        )

    def _dump(self, booster) -> str:
        return booster.model_to_string(num_iteration=self.best_iteration)

    def _load(self, blob: str):
        import lightgbm as lgb

        return lgb.Booster(model_str=blob)


class CatBoostChurnClassifier(_NativeBoosted):
    """CatBoost (ordered boosting, symmetric trees) with early stopping on a validation set."""

    def __init__(
        self,
        iterations=1000,
        learning_rate=0.08,
        depth=4,
        l2_leaf_reg=3.0,
        scale_pos_weight=1.0,
        early_stopping_rounds=50,
        thread_count=2,
        random_state=0,
    ):
        self.iterations = iterations
        self.learning_rate = learning_rate
        self.depth = depth
        self.l2_leaf_reg = l2_leaf_reg
        self.scale_pos_weight = scale_pos_weight
        self.early_stopping_rounds = early_stopping_rounds
        self.thread_count = thread_count
        self.random_state = random_state

    def fit(self, X, y, X_valid=None, y_valid=None):
        from catboost import CatBoostClassifier

        model = CatBoostClassifier(
            iterations=self.iterations,
            learning_rate=self.learning_rate,
            depth=self.depth,
            l2_leaf_reg=self.l2_leaf_reg,
            scale_pos_weight=self.scale_pos_weight,
            thread_count=self.thread_count,
            random_seed=self.random_state,
            verbose=False,
            allow_writing_files=False,
        )
        kwargs = {}
        if X_valid is not None:
            kwargs = {
                "eval_set": (_matrix(X_valid), np.asarray(y_valid)),
                "early_stopping_rounds": self.early_stopping_rounds,
                "use_best_model": True,
            }
        model.fit(_matrix(X), np.asarray(y), **kwargs)
        return self._fitted(model, int(model.get_best_iteration() or model.tree_count_ - 1), X)

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        p = self.booster_.predict(_matrix(X), prediction_type="Probability")[:, 1]
        return np.column_stack([1 - p, p])

    def contributions(self, X) -> np.ndarray:
        """Exact SHAP values in log-odds: one column per feature plus the base value."""
        from catboost import Pool

        return self.booster_.get_feature_importance(Pool(_matrix(X)), type="ShapValues")

    def _dump(self, booster) -> bytes:
        return bytes(booster._serialize_model())

    def _load(self, blob: bytes):
        from catboost import CatBoostClassifier

        model = CatBoostClassifier()
        model.load_model(blob=blob)
        return model
