"""Cost-sensitive evaluation and EMPC on real per-customer costs (issue 18, item 4).

The TV-subscription table of Correa Bahnsen et al. (2015) (``../shared/data/``, see its README)
carries each customer's costs: ``C_FN`` (the customer's lifetime value, lost when a churner is
not contacted), ``C_FP`` (incentive + contact for a non-churner), ``C_TP`` (the expected cost
of the offer to a churner) and ``C_TN`` (0). For split seeds 0..4 (stratified 70/30), a
logistic regression and XGBoost (the data README's protocol, ``real_peers``; ``id`` and the
cost columns dropped) are fitted on train and score the test customers; each test customer is
then contacted when the expected cost of contacting is below that of not contacting (Bayes
minimum risk with their own costs: ``p * C_TP + (1 - p) * C_FP < p * C_FN``). Reported per
model: the total cost of those decisions, of contacting everyone and of contacting no one, the
savings against the cheaper of the two (Correa Bahnsen's measure,
``empulse.metrics.savings_score``), EMPC with the paper's campaign
(:mod:`churnlab.evaluation.profit`) and with the data's own money (mean ``C_FN`` as the
customer value, mean ``C_FP`` as the offer, from the train customers), and ROC-AUC; means with
95 % t-intervals over the seeds, and the paired XGBoost - logistic regression differences with
theirs.

Writes ``benchmarks/results/costs.json``. Run from the repository root with the project venv::

    python benchmarks/bench_costs.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from empulse.metrics import cost_loss, savings_score
from scipy import stats
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules below

from churnlab import io
from churnlab.evaluation.profit import EMPCParams, empc, empc_contact_share
from real_peers import NOTEBOOK_PEERS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tv_subscription_churn.csv"
RESULT = Path(__file__).resolve().parent / "results" / "costs.json"
COSTS = ("C_TP", "C_FP", "C_TN", "C_FN")
SEEDS = (0, 1, 2, 3, 4)


MODELS = {"logreg": NOTEBOOK_PEERS["notebook_lr"], "xgboost": NOTEBOOK_PEERS["notebook_xgb"]}
"""The data README's protocol (``real_peers``): fit on train, return the test scores."""


def costs_of(test: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        "tp_cost": test["C_TP"].to_numpy(),
        "fp_cost": test["C_FP"].to_numpy(),
        "tn_cost": test["C_TN"].to_numpy(),
        "fn_cost": test["C_FN"].to_numpy(),
    }


def decisions(p: np.ndarray, c: dict[str, np.ndarray]) -> np.ndarray:
    """Contact (1) when its expected cost is below not contacting's (Bayes minimum risk)."""
    contact = p * c["tp_cost"] + (1 - p) * c["fp_cost"]
    leave = p * c["fn_cost"] + (1 - p) * c["tn_cost"]
    return (contact < leave).astype(int)


def score_seed(frame: pd.DataFrame, seed: int) -> dict[str, dict]:
    y = frame["target"].astype(int).to_numpy()
    train, test = train_test_split(frame, test_size=0.3, stratify=y, random_state=seed)
    features = [c for c in frame.columns if c.startswith("x")]
    y_train, y_test = train["target"].astype(int), test["target"].astype(int).to_numpy()
    c = costs_of(test)
    # the campaign in the data's own money, from the train customers: a churner is worth the
    # mean C_FN, an offer costs the mean C_FP (contact cost included), gamma as in the paper
    own = EMPCParams(
        clv=train["C_FN"].mean(), incentive_cost=train["C_FP"].mean(), contact_cost=0.0
    )
    everyone, no_one = np.ones_like(y_test), np.zeros_like(y_test)
    out = {}
    for name, fit_and_score in MODELS.items():
        p = fit_and_score(train[features], y_train.to_numpy(), test[features])
        chosen = decisions(p, c)
        out[name] = {
            "roc_auc": roc_auc_score(y_test, p),
            "empc": empc(y_test, p),
            "empc_contact_share": empc_contact_share(y_test, p),
            "empc_data_costs": empc(y_test, p, own),
            "empc_data_costs_contact_share": empc_contact_share(y_test, p, own),
            "cost_model": cost_loss(y_test, chosen, **c),
            "cost_contact_all": cost_loss(y_test, everyone, **c),
            "cost_contact_none": cost_loss(y_test, no_one, **c),
            "savings": savings_score(y_test, chosen, **c),
            "contacted_share": float(chosen.mean()),
        }
    return out


def interval(values: list[float]) -> dict:
    """Mean and 95 % t-interval over the seeds."""
    v = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return {
        "mean": float(v.mean()),
        "lower": float(v.mean() - half),
        "upper": float(v.mean() + half),
    }


def summarise(runs: dict[int, dict]) -> dict:
    names = next(iter(runs.values())).keys()
    keys = next(iter(next(iter(runs.values())).values())).keys()
    summary = {m: {k: interval([runs[s][m][k] for s in runs]) for k in keys} for m in names}
    paired = {
        k: interval([runs[s]["xgboost"][k] - runs[s]["logreg"][k] for s in runs])
        for k in ("roc_auc", "empc", "empc_data_costs", "savings", "cost_model")
    }
    return {"models": summary, "xgboost_minus_logreg": paired}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"{args.data} not found: the real tables live in ../shared/data/", file=sys.stderr)
        return 1
    frame = pd.read_csv(args.data)
    runs = {seed: score_seed(frame, seed) for seed in SEEDS}
    result = {
        "data": args.data.name,
        "customers": len(frame),
        "churn_rate": float(frame["target"].mean()),
        "seeds": list(SEEDS),
        "test_share": 0.3,
        "per_seed": {str(s): r for s, r in runs.items()},
        **summarise(runs),
    }
    io.write_json(result, RESULT)
    for name, m in result["models"].items():
        print(
            f"{name:8s} ROC-AUC {m['roc_auc']['mean']:.3f}  EMPC {m['empc']['mean']:.2f} "
            f"(data costs {m['empc_data_costs']['mean']:.2f})  "
            f"savings {m['savings']['mean']:.3f} [{m['savings']['lower']:.3f}, "
            f"{m['savings']['upper']:.3f}]"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
