"""The real-data benchmark that decides churnlab's defaults (issue 13).

For every real table under ``../shared/data/`` (``real_data.TABLES``: the ``data.*`` keys a
user would set) and split seeds 0..4, churnlab's own ``split_customers`` makes the train /
valid / test customers, and every method scores the same test customers:

- ``churnlab``: params.yaml as the train stage uses it (``--set key=value`` overrides, e.g.
  ``--set train.xgboost.max_depth=4``; repeatable): featurize on train, fit ``train.model``
  on train with early stopping on valid, calibrate on valid;
- ``notebook_lr`` / ``notebook_xgb``: the data README's protocol on the raw user columns
  (numbers stored as text parsed as numbers), fitted on train+valid;
- ``autogluon``: AutoGluon Tabular (``medium_quality``, 120 s, ``num_cpus=2``), fitted on
  train+valid in a separate venv (``benchmarks/requirements-peers.txt``) through
  ``peer_autogluon.py``. Its test scores are cached in ``results/real_peers/`` (``--peers-cache``,
  whatever ``--results`` is) per table and seed, keyed by the split and used only for the same
  test customers; ``--peers autogluon`` recomputes them. Without AutoGluon and
  without a cache it is skipped with a note.

Writes ``results/<name>.json`` (per table and method: per-seed ROC-AUC and PR-AUC, means,
paired differences against churnlab with pooled paired-bootstrap intervals and wins, the
machine load at each AutoGluon run) and ``results/<name>.md`` (the summary tables, also
printed). Run from the repository root with the project venv::

    python benchmarks/bench_real.py                       # cached AutoGluon scores only
    python benchmarks/bench_real.py --peers autogluon     # (re)run AutoGluon (~45 min)
    python benchmarks/bench_real.py --set train.xgboost.max_depth=4 --name real_depth4
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    # OpenMP threads that spin while they wait crawl on a busy shared machine (a 2-core run
    # took 10x longer at load 11): waiting passively changes the time, never the scores.
    # Set before xgboost loads libgomp.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pandas as pd
import sklearn
import xgboost
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules below

import real_report as report
from churnlab import io
from churnlab.config.columns import TARGET
from churnlab.data import privacy
from churnlab.data.splitting import split_customers
from real_data import BENCH_SALT, DATA_DIR, TABLES, Table, load_table
from real_peers import CHOSEN, NOTEBOOK_PEERS, AutoGluonPeer, churnlab_scores

log = logging.getLogger("bench_real")
RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="split seeds 0..N-1")
    parser.add_argument("--tables", default="", help="comma-separated table names (default all)")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="key=yaml value")
    parser.add_argument(
        "--peers",
        default="",
        choices=["", "autogluon", "autogluon-missing"],
        help="run AutoGluon for every split (autogluon) or for splits without a cache "
        "(autogluon-missing); default: its cached scores only",
    )
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--peers-cache",
        type=Path,
        default=RESULTS / "real_peers",
        help="AutoGluon's cached test scores (keyed by split, shared by every --results/--name)",
    )
    parser.add_argument("--name", default="real", help="output file stem under --results")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--peers-python", type=Path, help="python of the AutoGluon venv")
    parser.add_argument("--autogluon-script", type=Path, help="stand-in peer script (tests)")
    parser.add_argument("--time-limit", type=int, default=120, help="AutoGluon seconds")
    parser.add_argument("--num-cpus", type=int, default=2, help="AutoGluon CPUs")
    return parser.parse_args(argv)


def timed(fn, *args) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    scores = fn(*args)
    return np.asarray(scores, dtype="float64"), round(time.perf_counter() - start, 2)


def chosen(summary: dict) -> dict:
    """What churnlab's train chose on one split: the model, its selection board, the refit."""
    selection = summary.get("selection", {})
    board = {
        name: row.get("oof_roc_auc", "skipped")
        for name, row in selection.get("candidates", {}).items()
    }
    return {"model": summary["model"], "candidates": board, "refit": summary["refit"]["method"]}


def run_seed(table: Table, seed: int, autogluon: AutoGluonPeer) -> dict:
    """Every method's test scores (and seconds) on split seed ``seed`` of ``table``."""
    split = table.params.split.model_copy(update={"seed": seed})
    parts = split_customers(table.prepared.table, split, TARGET)
    fit_part = pd.concat([parts["train"], parts["valid"]], ignore_index=True)
    fit_keys, test_keys = fit_part["customer_key"], parts["test"]["customer_key"]
    X_fit, X_test = table.peer_frame.loc[fit_keys], table.peer_frame.loc[test_keys]
    y_fit = fit_part[TARGET].to_numpy()
    out = {"y": parts["test"][TARGET].to_numpy(), "scores": {}, "seconds": {}, "runs": {}}
    params, schema = table.params, table.prepared.schema
    for method, fn, fn_args in (
        ("churnlab", churnlab_scores, (params, parts, schema)),
        *((name, fn, (X_fit, y_fit, X_test)) for name, fn in NOTEBOOK_PEERS.items()),
    ):
        out["scores"][method], out["seconds"][method] = timed(fn, *fn_args)
    out["runs"]["churnlab"] = chosen(CHOSEN[-1])
    peer_split = {
        "file_sha256": table.file_sha256,
        "fit_rows": table.row_ids.loc[fit_keys].to_numpy(),
        "test_rows": table.row_ids.loc[test_keys].to_numpy(),
        "fit": X_fit,
        "fit_y": y_fit,
        "test": X_test,
    }
    scores, record = autogluon.scores(table.name, seed, peer_split)
    out["runs"]["autogluon"] = record
    if scores is not None:
        out["scores"]["autogluon"] = scores
    return out


def table_results(table: Table, runs: list[dict], seeds: list[int], args) -> dict:
    ys = [r["y"] for r in runs]
    methods: dict = {}
    reps = {}
    for method in report.LABELS:
        if not all(method in r["scores"] for r in runs):
            continue
        scores = [r["scores"][method] for r in runs]
        methods[method] = report.method_figures(ys, scores)
        reps[method] = report.replicates(ys, scores, args.resamples, seeds)
        seconds = [r["seconds"].get(method) for r in runs]
        if seconds[0] is not None:
            methods[method]["seconds"] = seconds
    for method in methods:
        if method != "churnlab":
            methods[method]["paired"] = report.paired(
                methods["churnlab"],
                methods[method],
                reps["churnlab"],
                reps[method],
                args.confidence,
            )
    methods["churnlab"]["chosen"] = [r["runs"]["churnlab"] for r in runs]
    ag_runs = [r["runs"]["autogluon"] for r in runs]
    if "autogluon" in methods:
        methods["autogluon"]["runs"] = ag_runs
    else:
        skipped = sorted({r["skipped"] for r in ag_runs if "skipped" in r})
        methods["autogluon"] = {"skipped": skipped}
    return {
        "data": Path(table.params.data.path).name,
        "file_sha256": table.file_sha256,
        "customers": len(table.prepared.table),
        "test_customers": [len(y) for y in ys],
        "positive_rate": report.r6(table.prepared.table[TARGET].mean()),
        "churnlab_input_columns": sum(
            e["type"] != "drop" for e in table.prepared.schema["columns"].values()
        ),
        "peer_columns": table.peer_frame.shape[1],
        "methods": methods,
    }


def protocol(args, params) -> dict:
    t = params.train
    return {
        "seeds": list(range(args.seeds)),
        "split": params.split.model_dump(mode="json", exclude={"seed"}),
        "churnlab": {
            "overrides": args.sets,
            "model": t.model,
            "hyper_parameters": getattr(t, t.model).model_dump(mode="json")
            if hasattr(t, t.model)
            else {},
            "calibration": t.calibration,
            "refit": t.refit,
            "select": t.select,
            "bagging": t.bagging,
            "fit": "churnlab.modeling.training.train, as the train stage calls it",
        },
        "peers": {
            "fit": "train+valid, raw user columns (id, target and data.columns drops removed; "
            "text columns whose every value is a number parsed as numbers)",
            "autogluon": {
                "presets": "medium_quality",
                "time_limit_s": args.time_limit,
                "num_cpus": args.num_cpus,
                "eval_metric": "roc_auc",
            },
        },
        "bootstrap": {
            "resamples": args.resamples,
            "confidence": args.confidence,
            "pooling": "test customers resampled within each seed (resample seed = split "
            "seed, the same resamples for both methods), differences averaged over seeds",
        },
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
    }


def main(argv: list[str] | None = None, tables: dict[str, dict] | None = None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("churnlab").setLevel(logging.WARNING)
    tables = tables if tables is not None else TABLES
    chosen = [t for t in args.tables.split(",") if t] or list(tables)
    missing = sorted(set(chosen) - set(tables))
    if missing:
        raise SystemExit(f"--tables: unknown table(s) {missing}; known: {sorted(tables)}")
    salt = (os.environ.get(privacy.SALT_ENV) or BENCH_SALT).encode()
    seeds = list(range(args.seeds))
    autogluon = AutoGluonPeer(
        args.peers_cache,  # keyed by split, not by churnlab setting or --results: shared
        run={"": "", "autogluon": "all", "autogluon-missing": "missing"}[args.peers],
        time_limit=args.time_limit,
        num_cpus=args.num_cpus,
    )
    if args.peers_python:
        autogluon.python = args.peers_python
    if args.autogluon_script:
        autogluon.script = args.autogluon_script
    started, load_start = time.perf_counter(), os.getloadavg()
    results: dict = {"tables": {}}
    for name in chosen:
        spec = tables[name]
        if not (args.data_dir / spec["path"]).exists():
            results["tables"][name] = {"skipped": f"{args.data_dir / spec['path']} is absent"}
            continue
        table_start = time.perf_counter()
        table = load_table(name, spec, args.data_dir, args.sets, salt)
        runs = [run_seed(table, s, autogluon) for s in tqdm(seeds, desc=name, leave=False)]
        results["tables"][name] = table_results(table, runs, seeds, args)
        results["tables"][name]["seconds"] = round(time.perf_counter() - table_start, 1)
        results["protocol"] = protocol(args, table.params)
        log.info("%s done in %.0f s", name, results["tables"][name]["seconds"])
    results["machine"] = {
        "cpu_count": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "versions": {
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
            "xgboost": xgboost.__version__,
        },
    }
    results["seconds"] = round(time.perf_counter() - started, 1)
    summary = summary_markdown(results)
    io.write_json(results, args.results / f"{args.name}.json")
    io.write_text(summary, args.results / f"{args.name}.md")
    print(summary)
    return results


def summary_markdown(results: dict) -> str:
    overrides = results.get("protocol", {}).get("churnlab", {}).get("overrides") or ["none"]
    summaries = report.markdown(results, "roc_auc"), report.markdown(results, "pr_auc")
    if overrides != ["none"]:  # not the default any more
        summaries = tuple(s.replace("churnlab default", "churnlab --set", 1) for s in summaries)
    return (
        "# Real-data benchmark (benchmarks/bench_real.py)\n\n"
        f"churnlab overrides: {', '.join(overrides)}. Mean test ROC-AUC over "
        f"{len(results.get('protocol', {}).get('seeds', []))} split seeds (same test customers "
        "for every method); churnlab − best peer: mean paired difference with a 95 % paired "
        "bootstrap interval, wins = seeds where churnlab is ahead.\n\n"
        + summaries[0]
        + "\nPR-AUC (average precision):\n\n"
        + summaries[1]
        + "\n"
        + report.autogluon_notes(results)
    )


if __name__ == "__main__":
    main()
