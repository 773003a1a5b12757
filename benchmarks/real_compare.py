"""Two churnlab settings compared on the real tables from two ``bench_real.py`` results JSON.

``bench_real.py`` scores churnlab with one setting per run (``--set``, ``--name``); every run
uses the same split seeds and so the same test customers (checked here: the same file, the
same split protocol, the same test sizes). This script pairs the two runs' churnlab figures
seed by seed: per-seed ROC-AUC of each, the differences (B − A), their mean with a Student-t
interval over the seeds, wins of B, and the mean seconds of each setting per split (featurize
+ train + scoring, wall-clock on the machine's load of that run). Writes
``results/quality/<name>.json``::

    python benchmarks/real_compare.py results/quality/refit_textbook.json results/real.json \
        --name selection_vs_none
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from churnlab import io
from real_report import r6

RESULTS = Path(__file__).resolve().parent / "results"


def same_customers(a: dict, b: dict, table: str) -> bool:
    """Both runs split the same file the same way: the same test customers per seed."""
    ta, tb = a["tables"][table], b["tables"][table]
    return (
        ta["file_sha256"] == tb["file_sha256"]
        and ta["test_customers"] == tb["test_customers"]
        and a["protocol"]["split"] == b["protocol"]["split"]
        and a["protocol"]["seeds"] == b["protocol"]["seeds"]
    )


def paired_table(a: dict, b: dict, confidence: float) -> dict:
    """B − A on one table's churnlab figures (``a``/``b``: ``methods.churnlab``)."""
    out: dict = {}
    for metric in ("roc_auc", "pr_auc"):
        diffs = np.array(b[metric]) - np.array(a[metric])
        half = stats.t.ppf((1 + confidence) / 2, len(diffs) - 1) * stats.sem(diffs)
        out[metric] = {
            "a": a[metric],
            "b": b[metric],
            "mean_a": r6(np.mean(a[metric])),
            "mean_b": r6(np.mean(b[metric])),
            "per_seed_difference": [r6(d) for d in diffs],
            "mean_difference": r6(diffs.mean()),
            "low": r6(diffs.mean() - half),
            "high": r6(diffs.mean() + half),
            "wins_b": int((diffs > 0).sum()),
            "seeds": len(diffs),
        }
    out["mean_seconds"] = {"a": r6(np.mean(a["seconds"])), "b": r6(np.mean(b["seconds"]))}
    out["chosen_b"] = sorted({c["model"] for c in b.get("chosen", [])})
    return out


def compare(a: dict, b: dict, confidence: float = 0.95) -> dict:
    tables = {}
    for name in sorted(set(a["tables"]) & set(b["tables"])):
        if "methods" not in a["tables"][name] or "methods" not in b["tables"][name]:
            continue
        if not same_customers(a, b, name):
            raise SystemExit(f"{name}: the two runs did not score the same test customers")
        ours_a, ours_b = a["tables"][name]["methods"], b["tables"][name]["methods"]
        tables[name] = paired_table(ours_a["churnlab"], ours_b["churnlab"], confidence)
    return {
        "a": a["protocol"]["churnlab"],
        "b": b["protocol"]["churnlab"],
        "interval": f"Student-t {confidence:.0%} over the split seeds of the paired differences",
        "tables": tables,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="results JSON of setting A (the reference)")
    parser.add_argument("b", type=Path, help="results JSON of setting B")
    parser.add_argument("--name", required=True, help="output stem under results/quality/")
    args = parser.parse_args(argv)
    result = compare(io.read_json(args.a), io.read_json(args.b))
    result["files"] = {"a": str(args.a), "b": str(args.b)}
    io.write_json(result, RESULTS / "quality" / f"{args.name}.json")
    for name, t in result["tables"].items():
        d = t["roc_auc"]
        print(
            f"{name}: B − A ROC-AUC {d['mean_difference']:+.4f} [{d['low']:+.4f}, "
            f"{d['high']:+.4f}], B wins {d['wins_b']}/{d['seeds']}; seconds "
            f"{t['mean_seconds']['a']:.1f} → {t['mean_seconds']['b']:.1f}"
        )
    return result


if __name__ == "__main__":
    main()
