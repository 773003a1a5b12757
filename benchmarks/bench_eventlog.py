"""churnlab's event-log path against a logistic regression on recency/frequency/monetary.

No real purchase log is available here, so the synthetic generator's raw tables become what a
shop would export: a customers CSV (id, signup and closure dates only, so that every feature
comes from the log) and one event-log CSV of purchases (the monthly payments, with their
amounts; failed ones typed ``payment_failed``) and site visits (the logins). Visits are the
activity (``activity_types: [visit]``; the generator's monthly charges fall on the day before
the snapshot for everybody, so they say nothing about recency), and churn is a closure or no
visit in the churn window after the snapshot.

churnlab runs its user-data path in-process in a temporary directory (the prepare, split,
featurize and train stages with the default params.yaml plus the ``data.*`` keys a user sets)
for split seeds 0..N-1 and scores the test customers with the trained pipeline, as evaluate
does. On exactly those customers the peer is the analyst's notebook: recency (days since the
last visit), frequency (visits) and monetary value (total of the purchases that did not fail)
computed with pandas from the same log before the snapshot, log1p + standardised, logistic
regression fitted on train+valid. ``churnlab_no_all_time`` is churnlab with
``data.events.all_time`` switched off (the windowed features only), to show what the all-time
features add. Writes
``benchmarks/results/eventlog.json`` (per-seed test ROC-AUC, paired differences against the
RFM regression with paired-bootstrap intervals, wins) and prints the table. Run from the
repository root::

    python benchmarks/bench_eventlog.py                  # 10,000 customers, seeds 0-4
    python benchmarks/bench_eventlog.py --customers 3000 --seeds 1 --out /tmp/e.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params, parse_params
from churnlab.data import privacy, synth
from churnlab.features import feature_frame
from churnlab.metrics import paired_bootstrap
from churnlab.stages import featurize, prepare, split, train

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "eventlog.json"
SALT = "churnlab-eventlog-benchmark-salt"
HISTORY_SEED = 7  # the synthetic shop (not a split seed)
RFM = ["recency_days", "frequency", "monetary"]


def shop_tables(n_customers: int, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The customers table and the purchase + visit log a shop would export."""
    d, history = params.data, params.synthetic.history_days
    raw = synth.generate(n_customers, HISTORY_SEED, d.snapshot_date, d.churn_window_days, history)
    customers = raw.customers.drop_duplicates("customer_id")
    customers = customers[["customer_id", "signup_date", "closed_at"]].astype({"customer_id": str})
    pay = raw.payments
    purchases = pd.DataFrame(
        {
            "customer_id": pay["customer_id"].astype(str),
            "event_time": pay["paid_at"],
            "amount": pay["amount"],
            "event_type": np.where(pay["status"] == "failed", "payment_failed", "purchase"),
        }
    )
    visits = pd.DataFrame(
        {"customer_id": raw.logins["customer_id"].astype(str), "event_time": raw.logins["login_at"]}
    ).assign(event_type="visit")
    log = pd.concat([purchases, visits], ignore_index=True).sort_values("event_time")
    return customers.reset_index(drop=True), log.reset_index(drop=True)


def bench_params(variant: str) -> Params:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["data"].update(
        source="csv",
        path="customers.csv",
        id="customer_id",
        customers={"signup": "signup_date", "closed": "closed_at"},
    )
    raw["data"]["events"].update(
        path="events.csv",
        customer_id="customer_id",
        timestamp="event_time",
        amount="amount",
        type="event_type",
        activity_types=["visit"],
        failed_types=["payment_failed"],
    )
    if variant == "churnlab_no_all_time":
        families = ("frequency", "monetary", "age", "gaps", "type_counts")
        raw["data"]["events"]["all_time"] = dict.fromkeys(families, False)
    return parse_params(raw, f"params.yaml ({variant})")


def rfm_table(log: pd.DataFrame, snapshot) -> pd.DataFrame:
    """The notebook's R, F, M per customer key, from events strictly before the snapshot."""
    snap = pd.Timestamp(snapshot)
    before = log[pd.to_datetime(log["event_time"]) < snap]
    visits = before[before["event_type"] == "visit"].groupby("customer_id")["event_time"]
    spent = before[before["event_type"] == "purchase"].groupby("customer_id")["amount"].sum()
    rfm = pd.DataFrame(
        {
            "recency_days": (snap - pd.to_datetime(visits.max())).dt.total_seconds() / 86400,
            "frequency": visits.size(),
            "monetary": spent,
        }
    )
    keys = privacy.pseudonymise(rfm.index.to_series(), SALT.encode())
    return rfm.set_axis(pd.Index(keys, name="customer_key"))


def rfm_scores(rfm: pd.DataFrame, fit: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Logistic regression on log1p(R, F, M), fitted on train+valid; no visit = the longest
    recency and zero frequency, no purchase = zero spend."""
    quiet = {"recency_days": rfm["recency_days"].max() + 1, "frequency": 0, "monetary": 0.0}

    def features(part: pd.DataFrame) -> pd.DataFrame:
        return rfm.reindex(part["customer_key"])[RFM].fillna(quiet)

    model = make_pipeline(
        FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression(max_iter=1000)
    )
    model.fit(features(fit), fit[TARGET])
    return model.predict_proba(features(test))[:, 1]


def churnlab_scores(params: Params, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The split, featurize and train stages for ``seed``; the test part and its scores."""
    params = params.model_copy(update={"split": params.split.model_copy(update={"seed": seed})})
    for stage in (split, featurize, train):
        stage.main(params)
    test = io.read_table(paths.SPLIT / "test.parquet")
    scores = package.load(paths.PIPELINE).predict_proba(feature_frame(test))[:, 1]
    return test, scores


def run_variant(variant: str, seeds: list[int], rfm: pd.DataFrame, out: dict) -> None:
    params = bench_params(variant)
    prepare.main(params)
    for seed in seeds:
        test, scores = churnlab_scores(params, seed)
        entry = out.setdefault(seed, {"y": test[TARGET].to_numpy(), "scores": {}})
        if "rfm_logreg" not in entry["scores"]:
            parts = [io.read_table(paths.SPLIT / f"{n}.parquet") for n in ("train", "valid")]
            fit = pd.concat(parts, ignore_index=True)
            entry["scores"]["rfm_logreg"] = rfm_scores(rfm, fit, test)
            entry["keys"] = test["customer_key"].to_numpy()
        assert (entry["keys"] == test["customer_key"].to_numpy()).all(), "same test customers"
        entry["scores"][variant] = scores
        logging.info("seed %d %s: %.4f", seed, variant, roc_auc_score(entry["y"], scores))


def summary(runs: dict, resamples: int) -> dict:
    methods = list(next(iter(runs.values()))["scores"])
    result: dict = {"methods": {}}
    for method in methods:
        aucs = [roc_auc_score(r["y"], r["scores"][method]) for r in runs.values()]
        row = {"test_roc_auc": [round(a, 4) for a in aucs], "mean": round(np.mean(aucs), 4)}
        if method != "rfm_logreg":
            paired = [
                paired_bootstrap(
                    r["y"], r["scores"][method], r["scores"]["rfm_logreg"], resamples, s
                )
                for s, r in runs.items()
            ]
            diffs = [p["roc_auc"]["difference"] for p in paired]
            # Seeds have different test customers: their resamples are independent.
            std = float(np.sqrt(np.sum([p["roc_auc"]["std"] ** 2 for p in paired]))) / len(paired)
            row["vs_rfm_logreg"] = {
                "difference": [round(d, 4) for d in diffs],
                "interval": [
                    [round(p["roc_auc"]["low"], 4), round(p["roc_auc"]["high"], 4)] for p in paired
                ],
                "mean_difference": round(float(np.mean(diffs)), 4),
                "mean_interval_95": [
                    round(np.mean(diffs) - 1.96 * std, 4),
                    round(np.mean(diffs) + 1.96 * std, 4),
                ],
                "wins": int(sum(d > 0 for d in diffs)),
            }
        result["methods"][method] = row
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=5, help="split seeds 0..N-1")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    base = bench_params("churnlab")
    customers, log = shop_tables(args.customers, base)
    rfm = rfm_table(log, base.data.snapshot_date)
    seeds = list(range(args.seeds))
    runs: dict = {}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        customers.to_csv(Path(tmp) / "customers.csv", index=False)
        log.to_csv(Path(tmp) / "events.csv", index=False)
        os.environ[privacy.SALT_ENV] = SALT
        os.chdir(tmp)
        try:
            for variant in ("churnlab", "churnlab_no_all_time"):
                run_variant(variant, seeds, rfm, runs)
        finally:
            os.chdir(cwd)
    result = {
        "customers": len(customers),
        "events": len(log),
        "test_customers": len(next(iter(runs.values()))["y"]),
        "seeds": seeds,
        **summary(runs, args.resamples),
    }
    io.write_json(result, args.out)
    print(json.dumps(result["methods"], indent=1))
    return result


if __name__ == "__main__":
    main()
