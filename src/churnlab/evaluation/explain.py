"""Per-customer explanations: additive contributions to the model's log-odds, and top reasons.

Each model's method is declared in its registry entry (``ModelSpec.contributions``, in
:mod:`churnlab.modeling.zoo`); for every model that has one, the contributions of one customer
plus the base value sum to the model's margin (log-odds of churn):

- XGBoost, LightGBM and CatBoost: exact TreeSHAP from their own boosters;
- logistic regression: coefficient × feature value (exact for a linear model);
- rule-based baseline: the margin gained over "no signal" is shared equally among the signals
  the customer triggers;
- linear SVM: coefficient × standardised value, scaled by the sigmoid that turns its margin
  into a probability.

A calibrated model (``CalibratedClassifierCV``) is explained through the model it wraps: the
contributions sum to the uncalibrated log-odds. Calibration is monotone, so the customers'
order and the direction of every reason are the same.

Other models (decision tree, random forest, RBF SVM, MLP) have no exact method here and raise
``NotImplementedError`` naming the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from churnlab.modeling.registry import base_estimator, spec_of
from churnlab.modeling.spec import Contributions


def contributions(pipeline: Pipeline, frame: pd.DataFrame) -> Contributions:
    """(contributions per feature, base value) for each row of a prepared customer frame."""
    model = pipeline.named_steps["model"]
    X = (
        pipeline.named_steps["features"].transform(frame)
        if "features" in pipeline.named_steps
        else frame
    )
    return model_contributions(model, X)


def model_contributions(model, X: pd.DataFrame, approx: bool = False) -> Contributions:
    """As :func:`contributions` for model inputs ``X`` already transformed by the featurizer.

    ``approx``: the model's cheaper approximation where it has one (XGBoost's Saabas method,
    ``serve.contributions: approx``), else its exact method.
    """
    model = base_estimator(model)
    spec = spec_of(model)
    method = spec.contributions if spec else None
    if approx and spec and spec.approx_contributions:
        method = spec.approx_contributions
    if method is None:
        raise NotImplementedError(f"no explanation method for {type(model).__name__}")
    return method(model, X)


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
