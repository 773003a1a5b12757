"""Per-customer explanations: additive contributions to the model's log-odds, and top reasons.

For every model in the registry the contributions of one customer plus the base value sum to
the model's margin (log-odds of churn):

- XGBoost: exact TreeSHAP from the booster (``pred_contribs=True``);
- logistic regression: coefficient × feature value (exact for a linear model);
- rule-based baseline: the margin gained over "no signal" is shared equally among the signals
  the customer triggers;
- LightGBM and CatBoost: their own exact TreeSHAP; linear SVM: coefficient × value, scaled by
  the sigmoid that turns its margin into a probability.

A calibrated model (``CalibratedClassifierCV``) is explained through the model it wraps: the
contributions sum to the uncalibrated log-odds. Calibration is monotone, so the customers'
order and the direction of every reason are the same.

Other models (decision tree, random forest, RBF SVM, MLP) have no exact method here and raise
``NotImplementedError`` naming the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from churnlab.modeling.registry import RuleBasedModel, base_estimator
from churnlab.modeling.zoo import CatBoostChurnClassifier, LightGBMClassifier, MarginSigmoid


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _xgboost(model: xgb.XGBClassifier, X: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    booster = model.get_booster()
    best = getattr(model, "best_iteration", None)
    iteration_range = (0, best + 1) if best is not None else (0, 0)
    matrix = xgb.DMatrix(X, feature_names=[str(c) for c in X.columns])
    values = booster.predict(matrix, pred_contribs=True, iteration_range=iteration_range)
    return pd.DataFrame(values[:, :-1], index=X.index, columns=X.columns), values[:, -1]


def _linear(model: LogisticRegression, X: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    values = X.to_numpy(dtype="float64") * model.coef_[0]
    base = np.full(len(X), float(model.intercept_[0]))
    return pd.DataFrame(values, index=X.index, columns=X.columns), base


def _rules(model: RuleBasedModel, X: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    signals = model.signals(X)
    points = signals.sum(axis=1).to_numpy()
    margin = _logit(model.rate_by_points_[np.clip(points, 0, 6)])
    base = np.full(len(X), float(_logit(model.rate_by_points_[:1])[0]))
    share = np.divide(margin - base, points, out=np.zeros(len(X)), where=points > 0)
    return signals.astype("float64").mul(share, axis=0), base


def contributions(pipeline: Pipeline, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(contributions per feature, base value) for each row of a prepared customer frame."""
    model = pipeline.named_steps["model"]
    X = (
        pipeline.named_steps["features"].transform(frame)
        if "features" in pipeline.named_steps
        else frame
    )
    return model_contributions(model, X)


def model_contributions(model, X: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """As :func:`contributions` for model inputs ``X`` already transformed by the featurizer."""
    model = base_estimator(model)
    if isinstance(model, (LightGBMClassifier, CatBoostChurnClassifier)):
        values = model.contributions(X)
        return pd.DataFrame(values[:, :-1], index=X.index, columns=X.columns), values[:, -1]
    if isinstance(model, MarginSigmoid) and hasattr(model.estimator_[-1], "coef_"):
        # log-odds = a * (w . standardised x + c) + b: each term a * w_j * z_j is exact.
        scaler, inner = model.estimator_[0], model.estimator_[-1]
        z = scaler.transform(X)
        values = z * (model.a_ * inner.coef_[0])
        base = np.full(len(X), model.a_ * float(inner.intercept_[0]) + model.b_)
        return pd.DataFrame(values, index=X.index, columns=X.columns), base
    if isinstance(model, xgb.XGBClassifier):
        return _xgboost(model, X)
    if isinstance(model, LogisticRegression):
        return _linear(model, X)
    if isinstance(model, RuleBasedModel):
        return _rules(model, X)
    raise NotImplementedError(f"no explanation method for {type(model).__name__}")


def readable(feature: str) -> str:
    """``num__days_since_last_login`` → ``days_since_last_login`` (drops the group prefix)."""
    return feature.split("__", 1)[-1]


def strongest(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns of the ``k`` largest values (largest first, ties in column order)
    and those values. The one ranking behind every "top reasons" list (also the API's)."""
    order = np.argsort(-values, axis=1, kind="stable")[:, : min(k, values.shape[1])]
    return order, np.take_along_axis(values, order, axis=1)


def top_reasons(contribs: pd.DataFrame, k: int = 3) -> list[list[dict]]:
    """The ``k`` features that raise each customer's risk most (largest positive contributions)."""
    names = np.asarray([readable(c) for c in contribs.columns], dtype=object)
    order, top = strongest(contribs.to_numpy(), k)
    return [
        [
            {"feature": names[c], "contribution": round(float(value), 6)}
            for c, value in zip(columns, values, strict=True)
            if value > 0
        ]
        for columns, values in zip(order, top, strict=True)
    ]


def label(feature: str) -> str:
    """A reader's name: TF-IDF terms say they come from the ticket text."""
    group, _, name = feature.partition("__")
    if group == "text" and name:
        return f'ticket text "{name.replace("_", " ")}"'
    return readable(feature)


def global_importance(contribs: pd.DataFrame, top: int) -> pd.DataFrame:
    """Mean absolute contribution per feature (SHAP importance), largest first."""
    values = contribs.abs().mean(axis=0)
    frame = pd.DataFrame(
        {"feature": [label(c) for c in values.index], "mean_abs_contribution": values.values}
    )
    frame["column"] = values.index
    frame = frame.sort_values(["mean_abs_contribution", "feature"], ascending=[False, True])
    return frame[frame["mean_abs_contribution"] > 0].head(top).reset_index(drop=True)


def dependence(
    contribs: pd.DataFrame, column: str, raw: pd.DataFrame, transformed: pd.DataFrame | None
) -> pd.DataFrame:
    """(value, contribution) per customer for one feature.

    The value is the customer's raw column when the feature is one (days, counts, money),
    which reads better than the scaled matrix value; otherwise the transformed value.
    """
    name = readable(column)
    if name in raw and pd.api.types.is_numeric_dtype(raw[name]):
        value = raw[name].to_numpy(dtype="float64")
    elif transformed is not None and column in transformed:
        value = transformed[column].to_numpy(dtype="float64")
    else:
        value = np.full(len(contribs), np.nan)
    return pd.DataFrame({"value": value, "contribution": contribs[column].to_numpy()})


def reasons_text(reasons: list[dict]) -> str:
    return "; ".join(f"{r['feature']} (+{r['contribution']:.2f})" for r in reasons) or "none"


def reasons_frame(pipeline: Pipeline, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """Churn score and top ``k`` reasons per customer, for batch scoring and the API.

    One row per row of ``frame`` (a prepared customer frame, model inputs only): the score,
    the readable reasons text, and the reasons as a list of {feature, contribution}.
    """
    contribs, _ = contributions(pipeline, frame)
    reasons = top_reasons(contribs.rename(columns=label), k)
    return pd.DataFrame(
        {
            "churn_score": pipeline.predict_proba(frame)[:, 1],
            "reasons": [reasons_text(r) for r in reasons],
            "reason_list": reasons,
        },
        index=frame.index,
    )
