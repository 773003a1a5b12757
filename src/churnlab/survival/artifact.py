"""The survival model as it travels with the churn model, and what it answers per customer.

The survival stage saves ``models/survival.skops`` beside ``models/pipeline.skops``: the
XGBoost booster as its own JSON (bytes, like the zoo's boosted models), its best round, the
Breslow baseline hazard (``xgb_cox``) or the error scale (``xgb_aft``), the feature columns,
the horizons, the value settings and, when the model reads the past offer flag, the column
of the scored rows that carries it (rows without it count as not offered); with
``survival.uplift_blend``, the uplift learner, its columns and the blend's weight
(:mod:`churnlab.survival.blend`) — plain containers, arrays and allow-listed learners only,
so the skops allow-list holds. scikit-survival's Cox model and forest are not saved (their
types are not on the allow-list); nor is anything when the stage is skipped:
``{"skipped": reason}``. The scorer loads it when present and adds, per customer, the churn
probability within each horizon, the median days to churn, the lifetime value and the value at risk
(:func:`churnlab.survival.curves.customer_table`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from churnlab import package
from churnlab.config.survival import SurvivalParams, SurvivalValueParams
from churnlab.survival import curves
from churnlab.survival.blend import Blended
from churnlab.survival.models import Breslow, XgbAft, XgbCox
from churnlab.survival.offer import OFFER, offered, with_offer

log = logging.getLogger(__name__)

SAVED = {"xgb_cox": XgbCox, "xgb_aft": XgbAft}


@dataclass(frozen=True)
class SurvivalModel:
    """A fitted survival model with its columns, horizons and value settings."""

    model: XgbCox | XgbAft | Blended
    columns: list[str]
    horizons: list[int]
    value_horizon: int
    follow_up_days: int
    value: SurvivalValueParams
    offer: dict | None = None  # {"column", "treated_value"} of the offer covariate, if read

    def table(self, features: pd.DataFrame, customers) -> pd.DataFrame:
        """Per row: ``p_churn_<h>d``, ``median_days_to_churn``, ``expected_lifetime_periods``,
        ``value``, ``value_at_risk`` and the churn probability within the value horizon
        (``value_horizon_churn_probability``); ``customers`` holds the margin column (a frame
        or a dict of arrays) when there is one."""
        column = self.value.margin_column
        margin_source = pd.DataFrame(
            {column: np.asarray(customers[column])} if column and column in customers else {},
            index=range(len(features)),
        )
        X = features[self.columns]
        if self.offer is not None:
            flags = offered(customers, **self.offer, n=len(X))
            X = with_offer(X, flags)
        table = curves.customer_table(
            self.model,
            X,
            self.follow_up_days,
            self.horizons,
            self.value_horizon,
            curves.margins(margin_source, self.value),
            self.value,
        )
        return table


def bundle(
    name: str, model, columns, p: SurvivalParams, follow_up_days: int, offer: dict | None = None
) -> dict:
    """What the stage saves for ``name`` (``{"skipped": ...}`` for a model not saved);
    ``offer``: the column and treated value of the offer flag when the model reads it (the
    last of ``columns``)."""
    if name not in SAVED:
        return skipped(f"survival.model {name} is not saved for serving (xgb_cox, xgb_aft are)")
    columns = [c for c in columns if c != OFFER]
    out = {
        "model": name,
        "booster": bytes(model.booster.save_raw("json")),
        "best_iteration": int(model.booster.best_iteration),
        "aft_sigma": float(p.aft_sigma),
        "columns": [str(c) for c in columns],
        "horizons": [int(h) for h in p.horizons_days],
        "value_horizon": int(p.value_horizon_days),
        "follow_up_days": int(follow_up_days),
        "value": p.value.model_dump(),
    }
    if offer is not None:
        out["offer"] = {"column": str(offer["column"]), "treated_value": offer["treated_value"]}
    if isinstance(model, Blended):
        out["blend"] = {"learner": model.learner, "columns": model.columns, "weight": model.weight}
    if name == "xgb_cox":
        b = model.baseline
        out["baseline"] = {"shift": b.shift, "times": b.times, "cumulative": b.cumulative}
    return out


def skipped(reason: str) -> dict:
    return {"skipped": reason}


def _rebuilt(saved: dict) -> XgbCox | XgbAft | Blended:
    """The model object without refitting: booster, best round and baseline put back (the
    baseline of the blended risk on the blend, when there is one)."""
    booster = xgb.Booster()
    booster.load_model(bytearray(saved["booster"]))
    booster.set_attr(best_iteration=str(saved["best_iteration"]))
    model = SAVED[saved["model"]](SurvivalParams(aft_sigma=saved["aft_sigma"]))
    model.booster = booster
    if "baseline" in saved:
        base = Breslow.__new__(Breslow)
        base.shift = float(saved["baseline"]["shift"])
        base.times = np.asarray(saved["baseline"]["times"], dtype="float64")
        base.cumulative = np.asarray(saved["baseline"]["cumulative"], dtype="float64")
        model.baseline = base
    if "blend" in saved:
        b = saved["blend"]
        model = Blended(model, b["learner"], list(b["columns"]), float(b["weight"]))
        model.baseline = base
    return model


def from_bundle(saved: dict) -> SurvivalModel | None:
    if "skipped" in saved:
        return None
    return SurvivalModel(
        _rebuilt(saved),
        list(saved["columns"]),
        list(saved["horizons"]),
        int(saved["value_horizon"]),
        int(saved["follow_up_days"]),
        SurvivalValueParams(**saved["value"]),
        saved.get("offer"),
    )


def load(path: Path, feature_names: list[str]) -> SurvivalModel | None:
    """The saved model, or None when absent, skipped or made for other features."""
    if not path.exists():
        return None
    model = from_bundle(package.load(path))
    if model is not None and not set(model.columns) <= set(feature_names):
        log.warning("%s was fitted on other features than the churn model; ignored", path)
        return None
    return model
