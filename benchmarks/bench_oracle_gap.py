"""Where the synthetic default's gap to the oracle ROC-AUC comes from.

Reads the workspace of a finished default ``dvc repro`` (splits, the hidden truth, the fitted
pipeline, the feature matrices) and scores the same 7,500 test customers with:

- ``pipeline``: the default pipeline's model (what ``metrics/evaluate.json`` reports);
- ``generator_terms_logreg``: logistic regression on the 15 terms of the generator's hidden
  hazard (``churnlab.data.synth._hazard``) recomputed from the *observed* prepared columns (missing
  values, outliers and clipping as the pipeline sees them). It knows the formula, so it is a
  ceiling for what the observed data allow, not a model anyone could build without it;
- ``generator_terms_xgboost``: the default XGBoost settings on those same 15 terms;
- ``features_plus_terms_xgboost``: the default XGBoost on the pipeline's features plus them;
- ``bagged_xgboost``: five default XGBoost models, one per stratified fold of train + valid,
  each early-stopped on its held-out fold, averaged (uses 15 % more labelled rows).

Each gets its test ROC-AUC, its gap to the oracle and the gap's paired bootstrap interval.
Writes ``benchmarks/results/oracle_gap.json``. Needs the default ``dvc repro`` first.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from churnlab import package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import load_params
from churnlab.data import synth
from churnlab.features import feature_frame
from churnlab.metrics import paired_bootstrap
from churnlab.modeling.registry import spec_for

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "oracle_gap.json"


def generator_terms(d: pd.DataFrame) -> pd.DataFrame:
    """The hidden hazard's terms from the observed columns (see ``synth._hazard``)."""
    text = d["ticket_text"].fillna("")
    negative = sum(text.str.count(phrase) for phrase in synth.NEGATIVE_TICKETS)
    m2m = (d["contract"] == "month-to-month").astype(float)
    plan_fee = d["plan"].map(dict(zip(synth.PLANS, synth.PLAN_FEE, strict=True)))
    relative = d["monthly_fee"] / plan_fee
    rel = np.clip(relative - 1, -0.5, 0.8).fillna(0.0)
    recency = np.minimum(d["days_since_last_login"].fillna(180.0), 180.0)
    sat = d["satisfaction"]
    low_sat = 3 - sat.fillna(sat.median())
    return pd.DataFrame(
        {
            "m2m": m2m,
            "two_year": (d["contract"] == "two-year").astype(float),
            "new": np.exp(-d["tenure_days"] / 180.0),
            "recency": 1 / (1 + np.exp(-(recency - 20.0) / 4.0)),
            "login_trend": np.log(np.clip(d["login_trend"], 0.2, 5.0)),
            "spend_trend": np.log(np.clip(d["spend_trend"], 0.3, 3.0)),
            "low_satisfaction": low_sat,
            "low_satisfaction_m2m": low_sat * m2m,
            "satisfaction_missing": sat.isna().astype(float),
            "negative_tickets": np.minimum(negative, 3),
            "failed_payments": np.minimum(d["failed_payments_90d"], 2),
            "relative_fee": rel,
            "relative_fee_m2m": rel * m2m,
            "fee_missing": relative.isna().astype(float),
            "young_m2m": ((d["age"] < 30) & (m2m > 0)).astype(float),
        }
    )


def main() -> None:
    params = load_params(ROOT / "params.yaml")
    split = {n: pd.read_parquet(ROOT / paths.SPLIT / f"{n}.parquet") for n in paths.SPLIT_NAMES}
    feats = {n: pd.read_parquet(ROOT / paths.FEATURES / f"{n}.parquet") for n in paths.SPLIT_NAMES}
    truth = pd.read_parquet(ROOT / paths.TRUTH).set_index("customer_key")["churn_probability"]
    test = split["test"]
    y = {n: split[n][TARGET].to_numpy() for n in split}
    X = {n: feats[n].drop(columns=[TARGET]) for n in feats}
    terms = {n: generator_terms(split[n]) for n in split}
    oracle = truth.loc[test["customer_key"]].to_numpy()
    spec = spec_for("xgboost")

    def xgboost(train_X, train_y, valid_X, valid_y):
        return spec.fit(spec.make(params.train, train_y), train_X, train_y, valid_X, valid_y)

    scores = {}
    pipeline = package.load(ROOT / paths.PIPELINE)
    scores["pipeline"] = pipeline.predict_proba(feature_frame(test))[:, 1]
    logreg = LogisticRegression(max_iter=5000).fit(terms["train"], y["train"])
    scores["generator_terms_logreg"] = logreg.predict_proba(terms["test"])[:, 1]
    model = xgboost(terms["train"], y["train"], terms["valid"], y["valid"])
    scores["generator_terms_xgboost"] = model.predict_proba(terms["test"])[:, 1]
    both = {n: pd.concat([X[n], terms[n].set_index(X[n].index)], axis=1) for n in X}
    model = xgboost(both["train"], y["train"], both["valid"], y["valid"])
    scores["features_plus_terms_xgboost"] = model.predict_proba(both["test"])[:, 1]
    X_all = pd.concat([X["train"], X["valid"]], ignore_index=True)
    y_all = np.r_[y["train"], y["valid"]]
    folds = StratifiedKFold(5, shuffle=True, random_state=params.train.seed)
    bagged = np.zeros(len(test))
    for fit_rows, stop_rows in folds.split(X_all, y_all):
        model = xgboost(
            X_all.iloc[fit_rows], y_all[fit_rows], X_all.iloc[stop_rows], y_all[stop_rows]
        )
        bagged += model.predict_proba(X["test"])[:, 1] / folds.n_splits
    scores["bagged_xgboost"] = bagged

    e = params.evaluate
    result = {
        "test_customers": len(test),
        "oracle_roc_auc": round(float(roc_auc_score(y["test"], oracle)), 6),
        "target_gap": 0.005,
        "models": {},
    }
    for name, s in scores.items():
        gap = paired_bootstrap(y["test"], oracle, s, e.bootstrap_resamples, e.bootstrap_seed)
        result["models"][name] = {
            "roc_auc": round(float(roc_auc_score(y["test"], s)), 6),
            "gap_to_oracle": round(gap["roc_auc"]["difference"], 6),
            "gap_ci": [round(gap["roc_auc"]["low"], 6), round(gap["roc_auc"]["high"], 6)],
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
