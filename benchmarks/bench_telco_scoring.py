"""Scoring and drift on the real Telco table, as a new user runs them after training.

Trains with the committed ``params.yaml`` and the README's data keys (the stages' own
functions, in a temporary directory), then runs ``churnlab score`` on the very file it was
trained on and ``churnlab drift --current`` on two Telco-derived monthly files: the same
customers, and the same customers with ``MonthlyCharges`` raised 20 %. Writes
``benchmarks/results/telco_scoring.json`` (counts, exit statuses, PSI figures), which
``docs/scoring.md`` quotes. Needs ``../shared/data/telco_customer_churn.csv``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import yaml

from churnlab.cli.main import run
from churnlab.config.params import parse_params
from churnlab.data import privacy
from churnlab.stages import featurize, prepare, split, train

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "telco_customer_churn.csv"
OUT = ROOT / "benchmarks" / "results" / "telco_scoring.json"
README_KEYS = {"source": "csv", "target": "Churn", "positive": "Yes", "id": "customerID"}


def cli(*args: str) -> tuple[int, str]:
    """``churnlab ARGS`` in the current directory: exit status and what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = run(["--params", "params.yaml", *args])
    return code, printed.getvalue()


def drift_figures(current: Path) -> dict:
    code, _ = cli("drift", "--current", str(current), "--output", f"drift-{current.stem}")
    report = json.loads(Path(f"drift-{current.stem}/drift.json").read_text())
    features = report["features"]
    largest = max(features, key=lambda name: features[name]["psi"])
    return {
        "exit": code,
        "alert": report["alert"],
        "drifted_features": report["drifted_features"],
        "largest_psi_feature": largest,
        "largest_psi": round(features[largest]["psi"], 4),
        "monthly_charges_mean": {
            "reference": round(features["MonthlyCharges"]["reference_mean"], 2),
            "current": round(features["MonthlyCharges"]["current_mean"], 2),
        },
        "prediction_psi": round(report["prediction"]["psi"], 4),
        "rows": report["rows"],
    }


@contextlib.contextmanager
def trained_on_telco(salt: str) -> Iterator[Path]:
    """A temporary directory (the working directory meanwhile) in which prepare, split,
    featurize and train ran on Telco with the committed params and the README's data keys."""
    if not REAL_DATA.exists():
        raise SystemExit(f"{REAL_DATA} is missing: this script needs the shared Telco data")
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["data"].update(README_KEYS, path=str(REAL_DATA))
    params = parse_params(raw)
    os.environ.setdefault(privacy.SALT_ENV, salt)
    start = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            Path("params.yaml").write_text(yaml.safe_dump(raw))
            for stage in (prepare, split, featurize, train):
                stage.main(params)
            yield Path(tmp)
        finally:
            os.chdir(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args()
    with trained_on_telco("bench-telco-scoring"):
        code, printed = cli("score", str(REAL_DATA), "scored.csv")
        scored = json.loads(printed)
        telco = pd.read_csv(REAL_DATA, dtype=str, keep_default_na=False)
        charges = telco["MonthlyCharges"].astype(float)
        telco.assign(MonthlyCharges=(charges * 1.2).round(2)).to_csv("dearer.csv", index=False)
        result = {
            "data": REAL_DATA.name,
            "customers": len(telco),
            "score": {"exit": code, **{k: scored[k] for k in ("rows", "scored", "rejected")}},
            "drift": {
                "same_customers": drift_figures(REAL_DATA),
                "monthly_charges_plus_20pct": drift_figures(Path("dearer.csv")),
            },
            "params": "params.yaml as committed, with the README's data keys",
        }
    args.output.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
