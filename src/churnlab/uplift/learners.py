"""Uplift meta-learners over the zoo's classifiers: S, T, X, DR and the class transformation.

Thin scikit-learn-style estimators of our own (causalml's pull the GPU XGBoost wheel and numba
and pickle their models, so they fit neither the environment nor the skops allow-list). Each
takes an unfitted zoo classifier as ``base`` (cloned per model it needs) and learns from a
past campaign: ``fit(X, churned, treatment, propensity, X_valid, y_valid, t_valid)``, the
validation split serving the zoo's early stopping. ``predict(X)`` is the uplift: the drop in
churn probability the offer causes (positive = contact helps). The X- and DR-learners regress
an effect in a second stage with :class:`EffectRegressor`; the shift learner boosts the
offer's change of the churn log-odds from the control model's log-odds with
:class:`ShiftBooster` — both LightGBM persisted as model text like the zoo's boosted models,
so a saved learner holds only allow-listed types. ``shift_corrected`` is the shift learner with
the control model's log-odds first corrected by a booster on the control arm (so the shift's
trees do not have to absorb the control model's misfit).

(A little over 300 lines: the learners' saved class paths are on the skops allow-list, so
they stay in this one module.)
"""

from __future__ import annotations

from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from churnlab.modeling.registry import spec_of
from churnlab.modeling.zoo.common import as_matrix
from churnlab.modeling.zoo.lightgbm import LightGBMClassifier

EPS = 0.02  # propensities are clipped to [EPS, 1 - EPS] in inverse weights


def _fit_base(base, X, y, valid):
    """A clone of ``base`` fitted the way its registry entry fits (early stopping on valid;
    a base with ``early_stopping_rounds`` 0 fits its fixed rounds without the valid split)."""
    model = clone(base)
    spec = spec_of(model)
    if model.get_params().get("early_stopping_rounds", None) == 0:
        valid = None
    X_valid, y_valid = valid if valid is not None else (None, None)
    if spec is None:
        return model.fit(X, y)
    return spec.fit(model, X, y, X_valid, y_valid)


def _proba(model, X) -> np.ndarray:
    return model.predict_proba(X)[:, 1]


def _arm(X, y, t, arm):
    rows = np.flatnonzero(t == arm)
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows], y[rows]


def _valid_arm(valid, arm):
    if valid is None:
        return None
    X_valid, y_valid, t_valid = valid
    return _arm(X_valid, y_valid, t_valid, arm)


def _with_treatment(X, t):
    X = as_matrix(X)
    return np.column_stack([X, np.asarray(t, dtype="float32")])


class EffectRegressor(LightGBMClassifier):
    """LightGBM regression of an individual effect (second stage of the X/DR-learners)."""

    def _library_model(self):
        import lightgbm as lgb

        # The classifier's own parameters, less those a regression without a validation
        # split has no use for.
        params = self.get_params()
        for unused in ("scale_pos_weight", "early_stopping_rounds"):
            params.pop(unused)
        return lgb.LGBMRegressor(**params, subsample_freq=1, deterministic=True, verbose=-1)

    def _result(self, model):
        return model.booster_, int(model.n_estimators_)

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.booster_.predict(as_matrix(X), num_iteration=self.best_iteration)


class ShiftBooster(LightGBMClassifier):
    """LightGBM classification boosted from given log-odds (``init_score``): what it learns is
    the change of those log-odds, here the offer's (second stage of the shift learner)."""

    def fit(self, X, y, offset, X_valid=None, y_valid=None, offset_valid=None):
        """The shared native fit (:class:`~churnlab.modeling.zoo.native.NativeBoosted`),
        started from ``offset`` on train and ``offset_valid`` on the validation rows."""
        offsets = {"init_score": np.asarray(offset, dtype="float64")}
        if X_valid is not None:
            offsets["eval_init_score"] = [np.asarray(offset_valid, dtype="float64")]
        return super().fit(X, y, X_valid, y_valid, **offsets)

    def shift(self, X) -> np.ndarray:
        """The learned change of the log-odds (without the offset)."""
        check_is_fitted(self)
        X = as_matrix(X)
        return self.booster_.predict(X, num_iteration=self.best_iteration, raw_score=True)


def default_booster(seed: int = 0) -> ShiftBooster:
    """Shallow, slow trees with large leaves: the shift is learned from the treated arm only
    (30 % of the rows by default), and most customers' shift is small."""
    return ShiftBooster(
        n_estimators=1000, learning_rate=0.05, num_leaves=4, min_child_samples=200,
        colsample_bytree=0.8, reg_lambda=5.0, early_stopping_rounds=50, n_jobs=1,
        random_state=seed,
    )  # fmt: skip


def default_regressor(seed: int = 0) -> EffectRegressor:
    """A small, regularised effect regressor: effects are noisy pseudo-outcomes. One thread:
    LightGBM's threads spin when the machine is oversubscribed, and this fit is small."""
    return EffectRegressor(
        n_estimators=150, learning_rate=0.05, num_leaves=15, min_child_samples=200, n_jobs=1,
        random_state=seed,
    )  # fmt: skip


class _Learner(BaseEstimator):
    """Shared parameters: the base classifier, the effect regressor and the propensity."""

    def __init__(self, base=None, regressor=None):
        self.base = base
        self.regressor = regressor

    def _propensity(self, t, propensity) -> np.ndarray:
        t = np.asarray(t)
        if not np.isin(t, (0, 1)).all() or len(np.unique(t)) != 2:
            raise ValueError(
                f"treatment must be 0/1 with both groups present, got values {np.unique(t)[:10]}"
            )
        if propensity is None:  # a randomised campaign: the share treated
            propensity = np.full(len(t), np.mean(t))
        self.propensity_ = float(np.mean(propensity))
        return np.clip(np.asarray(propensity, dtype="float64"), EPS, 1 - EPS)

    def _two_models(self, X, y, t, valid, arms=None):
        """One model per arm, or ``arms`` (another learner's, fitted on the same data)."""
        if arms is not None:
            self.control_, self.treated_ = arms
            return
        self.control_ = _fit_base(self.base, *_arm(X, y, t, 0), _valid_arm(valid, 0))
        self.treated_ = _fit_base(self.base, *_arm(X, y, t, 1), _valid_arm(valid, 1))

    def _effect(self, X, target):
        regressor = self.regressor if self.regressor is not None else default_regressor()
        return clone(regressor).fit(X, target)


class SLearner(_Learner):
    """One classifier on the features plus the treatment flag; uplift = p(0) - p(1)."""

    def fit(self, X, y, treatment, propensity=None, valid=None):
        self._propensity(treatment, propensity)
        valid_s = None if valid is None else (_with_treatment(valid[0], valid[2]), valid[1])
        self.model_ = _fit_base(self.base, _with_treatment(X, treatment), y, valid_s)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        n = len(X)
        return _proba(self.model_, _with_treatment(X, np.zeros(n))) - _proba(
            self.model_, _with_treatment(X, np.ones(n))
        )


class TLearner(_Learner):
    """One classifier per arm; uplift = p_control - p_treated."""

    def fit(self, X, y, treatment, propensity=None, valid=None, arms=None):
        self._propensity(treatment, propensity)
        self._two_models(X, y, treatment, valid, arms)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return _proba(self.control_, X) - _proba(self.treated_, X)


class XLearner(_Learner):
    """T-learner outcomes imputed across arms, effects regressed per arm, propensity-blended."""

    def fit(self, X, y, treatment, propensity=None, valid=None, arms=None):
        t = np.asarray(treatment)
        self._propensity(t, propensity)
        self._two_models(X, y, t, valid, arms)
        (X0, y0), (X1, y1) = _arm(X, y, t, 0), _arm(X, y, t, 1)
        # Uplift = drop in churn: control churn minus treated churn.
        self.effect_control_ = self._effect(X0, y0 - _proba(self.treated_, X0))
        self.effect_treated_ = self._effect(X1, _proba(self.control_, X1) - y1)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        e = self.propensity_
        return e * self.effect_control_.predict(X) + (1 - e) * self.effect_treated_.predict(X)


class DRLearner(_Learner):
    """Doubly robust pseudo-outcomes (outcome models + inverse propensity), regressed."""

    def fit(self, X, y, treatment, propensity=None, valid=None, arms=None):
        t = np.asarray(treatment, dtype="float64")
        e = self._propensity(t, propensity)
        self._two_models(X, y, t, valid, arms)
        mu0, mu1 = _proba(self.control_, X), _proba(self.treated_, X)
        y = np.asarray(y, dtype="float64")
        churn_effect = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)
        self.effect_ = self._effect(X, -churn_effect)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.effect_.predict(X)


class ClassTransformation(_Learner):
    """One classifier of Z = 1 when (offered, stayed) or (not offered, churned).

    With equal arms, uplift = 2 P(Z=1) - 1; the larger arm is subsampled (seeded) to the size
    of the smaller one, so the identity holds for any treated share.
    """

    def __init__(self, base=None, regressor=None, seed=0):
        super().__init__(base, regressor)
        self.seed = seed

    def _balanced(self, n_rows, t):
        rng = np.random.default_rng(self.seed)
        arms = [np.flatnonzero(t == arm) for arm in (0, 1)]
        size = min(len(a) for a in arms)
        return np.sort(np.concatenate([rng.choice(a, size, replace=False) for a in arms]))

    def _target(self, X, y, t):
        rows = self._balanced(len(y), t)
        z = (np.asarray(y)[rows] != np.asarray(t)[rows]).astype(int)
        return (X.iloc[rows] if hasattr(X, "iloc") else X[rows]), z

    def fit(self, X, y, treatment, propensity=None, valid=None):
        t = np.asarray(treatment)
        self._propensity(t, propensity)
        valid_z = None if valid is None else self._target(*valid)
        self.model_ = _fit_base(self.base, *self._target(X, y, t), valid_z)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return 2 * _proba(self.model_, X) - 1


class ShiftLearner(_Learner):
    """The control arm's model, then the offer's shift of its churn log-odds boosted on the
    treated arm (LightGBM started from the control model's log-odds, early-stopped on the
    valid split's treated customers); uplift = p_control - sigmoid(logit p_control + shift).

    A T-learner fits the treated arm's churn from scratch on 30 % of the rows; here those rows
    only have to learn how the offer moves a risk the control arm (70 %) already estimates.

    With ``correct_control`` (the ``shift_corrected`` learner) a first booster, started from
    the control model's log-odds, learns on the control arm what that model misses (a logistic
    regression's misfit of a curved risk); the shift then starts from the corrected log-odds.
    Without it, the shift's trees learn the offer's effect plus the control model's misfit on
    the treated customers, and the misfit is counted as uplift.
    """

    def __init__(self, base=None, regressor=None, booster=None, correct_control=False):
        super().__init__(base, regressor)
        self.booster = booster
        self.correct_control = correct_control

    def fit(self, X, y, treatment, propensity=None, valid=None, arms=None):
        t = np.asarray(treatment)
        self._propensity(t, propensity)
        if arms is not None:
            self.control_ = arms[0]
        else:
            self.control_ = _fit_base(self.base, *_arm(X, y, t, 0), _valid_arm(valid, 0))
        self.correction_ = None
        if self.correct_control:  # the control model's misfit, boosted on the control arm
            self.correction_ = self._boost(_arm(X, y, t, 0), _valid_arm(valid, 0))
        self.shift_ = self._boost(_arm(X, y, t, 1), _valid_arm(valid, 1))
        return self

    def _boost(self, rows, valid_rows):
        """A booster started from the (corrected) control log-odds, early-stopped on valid."""
        booster = clone(self.booster if self.booster is not None else default_booster())
        fit_valid = {}
        if valid_rows is not None:
            X_valid, y_valid = valid_rows
            fit_valid = {"X_valid": X_valid, "y_valid": y_valid}
            fit_valid["offset_valid"] = self._log_odds(X_valid)
        return booster.fit(*rows, self._log_odds(rows[0]), **fit_valid)

    def _log_odds(self, X) -> np.ndarray:
        p = np.clip(_proba(self.control_, X), 1e-6, 1 - 1e-6)
        correction = getattr(self, "correction_", None)  # None in learners saved before it
        extra = 0.0 if correction is None else correction.shift(X)
        return np.log(p / (1 - p)) + extra

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        log_odds = self._log_odds(X)
        treated = log_odds + self.shift_.shift(X)
        return 1 / (1 + np.exp(-log_odds)) - 1 / (1 + np.exp(-treated))


# Learners whose ``fit`` takes ``arms``: the per-arm outcome models can be fitted once.
SHARE_ARMS = ("t", "x", "dr", "shift", "shift_corrected")

LEARNERS = {
    "s": SLearner,
    "t": TLearner,
    "x": XLearner,
    "dr": DRLearner,
    "class_transformation": ClassTransformation,
    "shift": ShiftLearner,
    "shift_corrected": partial(ShiftLearner, correct_control=True),
}
