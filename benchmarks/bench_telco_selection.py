"""Model selection on the real IBM Telco churn data, end to end with the real DVC commands.

In a throw-away git + DVC copy of the repository: the data keys point at
``../shared/data/telco_customer_churn.csv``; ``dvc repro studies/dvc.yaml`` (leaderboard and
search), ``churnlab select --apply``, then the default ``dvc repro`` trains, calibrates and
evaluates the selected model. Writes ``benchmarks/results/telco_selection.json`` with the
leaderboard, the choice, the calibration figures and the test metrics (target: ROC-AUC
>= 0.855). ``--skip-search`` leaves the search out.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import yaml

from bench_leaderboard import ROOT, copy_repo, sh

REAL_DATA = ROOT.parent / "shared" / "data" / "telco_customer_churn.csv"
TARGET_ROC_AUC = 0.855


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("CHURNLAB_SALT", "telco-benchmark-salt")
    with tempfile.TemporaryDirectory() as tmp:
        repo = copy_repo(Path(tmp) / "repo")
        params = yaml.safe_load((repo / "params.yaml").read_text())
        params["data"].update(
            {"source": "csv", "path": str(REAL_DATA), "target": "Churn", "positive": "Yes"}
        )
        params["data"]["id"] = "customerID"
        (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        start = time.perf_counter()
        target = "studies/dvc.yaml:leaderboard" if args.skip_search else "studies/dvc.yaml"
        sh(["dvc", "repro", target], repo)
        studies_s = time.perf_counter() - start
        applied = sh(["churnlab", "select", "--apply"], repo)
        sh(["dvc", "repro"], repo)
        read = lambda name: json.loads((repo / name).read_text())  # noqa: E731
        board, train, evaluate = (
            read("metrics/leaderboard.json"),
            read("metrics/train.json"),
            read("metrics/evaluate.json"),
        )
        result = {
            "data": str(REAL_DATA.name),
            "studies_seconds": round(studies_s, 1),
            "leaderboard": {
                m: {"roc_auc": e["roc_auc"], "rank": e["rank"]} for m, e in board["models"].items()
            },
            "selected": board["selected"],
            "applied": applied.splitlines(),
            "search": None
            if args.skip_search
            else {
                k: read("metrics/search.json")[k]
                for k in ("model", "best_value", "best_params", "first_trial_value", "n_trials")
            },
            "calibration": train["calibration"],
            "decision_valid": train["decision"],
            "test": {k: evaluate[k] for k in ("model", "roc_auc", "pr_auc", "f1", "brier")},
            "target_roc_auc": TARGET_ROC_AUC,
            "met": evaluate["roc_auc"] >= TARGET_ROC_AUC,
            "load_average_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
        }
    out = ROOT / "benchmarks/results/telco_selection.json"
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
