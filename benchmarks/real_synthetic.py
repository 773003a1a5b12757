"""Issue 13's synthetic and timing targets: churnlab's default `dvc repro` against AutoGluon, and
wall times, measured on this machine with its load recorded.

- ``autogluon``: AutoGluon Tabular (``medium_quality``, 120 s, the real-data benchmark's peer,
  :class:`real_peers.AutoGluonPeer`) fitted on train+valid of the default pipeline's split
  (``data/split/``, made by ``dvc repro`` in this checkout) and scored on its test customers;
  churnlab's scores are the saved pipeline's (``models/pipeline.skops``) on the same customers,
  checked against ``metrics/evaluate.json``. Writes ``results/quality/synthetic_autogluon.json``
  (both ROC-AUCs, the paired difference with a bootstrap interval over test customers).
- ``timing``: the wall time of ``dvc repro --force`` (the default synthetic pipeline) and of
  churnlab's featurize + train on Telco (split seed 0, default params, selection included), each
  with ``os.getloadavg()`` before and after: on a shared machine the times are loaded ones.
  Writes ``results/quality/timing.json``.

Run from the repository root with the project venv (``dvc repro`` first for ``autogluon``)::

    python benchmarks/real_synthetic.py timing
    python benchmarks/real_synthetic.py autogluon
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_report as report
from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.data.splitting import split_customers
from churnlab.features import feature_frame
from real_data import BENCH_SALT, DATA_DIR, ROOT, TABLES, load_table
from real_peers import CHOSEN, AutoGluonPeer, churnlab_scores

RESULTS = Path(__file__).resolve().parent / "results"


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its finished children so far."""
    return sum(
        u.ru_utime + u.ru_stime
        for u in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def timed_call(fn, *args) -> tuple[object, dict]:
    """``fn(*args)``, its wall seconds with the machine load before and after, and its CPU
    seconds: on a loaded machine the wall time grows with the load, the CPU time far less
    (CPU seconds / cores is a lower bound of the wall time on an idle machine)."""
    before, start, cpu = load(), time.perf_counter(), cpu_seconds()
    out = fn(*args)
    return out, {
        "seconds": round(time.perf_counter() - start, 1),
        "cpu_seconds": round(cpu_seconds() - cpu, 1),
        "load_average_before": before,
        "load_average_after": load(),
    }


def repro() -> None:
    subprocess.run(["dvc", "repro", "--force"], cwd=ROOT, check=True, capture_output=True)


def telco_train() -> dict:
    table = load_table("telco", TABLES["telco"], DATA_DIR, [], BENCH_SALT.encode())
    split = table.params.split.model_copy(update={"seed": 0})
    parts = split_customers(table.prepared.table, split, TARGET)
    churnlab_scores(table.params, parts, table.prepared.schema)
    return {"customers": len(table.prepared.table), "chosen": CHOSEN[-1].get("selection", {})}


def timing(out: Path) -> dict:
    _, pipeline = timed_call(repro)
    telco, train = timed_call(telco_train)
    result = {
        "dvc_repro_force_synthetic": pipeline | {"target_s": 60},
        "telco_featurize_and_train": train | telco | {"target_s": 120},
        "cpu_count": os.cpu_count(),
        "note": "wall-clock seconds on a machine shared with other jobs: the load averages "
        "show how loaded; the same work on an idle machine takes less",
    }
    io.write_json(result, out)
    return result


def split_sha256() -> str:
    digest = hashlib.sha256()
    for name in paths.SPLIT_NAMES:
        digest.update((ROOT / paths.SPLIT / f"{name}.parquet").read_bytes())
    return digest.hexdigest()


def autogluon(out: Path, peer: AutoGluonPeer) -> dict:
    parts = {n: io.read_table(ROOT / paths.SPLIT / f"{n}.parquet") for n in paths.SPLIT_NAMES}
    fit = pd.concat([parts["train"], parts["valid"]], ignore_index=True)
    test = parts["test"]
    y = test[TARGET].to_numpy()
    pipeline = package.load(ROOT / paths.PIPELINE)
    ours = pipeline.predict_proba(feature_frame(test))[:, 1]
    evaluate = io.read_json(ROOT / paths.METRICS / "evaluate.json")
    figures = report.method_figures([y], [ours])
    if abs(figures["roc_auc"][0] - evaluate["roc_auc"]) > 1e-5:
        raise SystemExit("the saved pipeline does not give metrics/evaluate.json's ROC-AUC")
    split = {
        "file_sha256": split_sha256(),
        "fit_rows": np.arange(len(fit)),
        "test_rows": np.arange(len(test)),
        "fit": feature_frame(fit),
        "fit_y": fit[TARGET].to_numpy(),
        "test": feature_frame(test),
    }
    theirs, record = peer.scores("synthetic", 0, split)
    if theirs is None:
        raise SystemExit(f"AutoGluon: {record['skipped']}")
    peer_figures = report.method_figures([y], [theirs])
    reps = report.replicates([y], [ours], 1000, [0]), report.replicates([y], [theirs], 1000, [0])
    result = {
        "split": "data/split of the default dvc repro (synthetic): train+valid -> test",
        "test_customers": len(y),
        "churnlab": figures | {"evaluate_json_roc_auc": evaluate["roc_auc"]},
        "autogluon": peer_figures | {"run": record},
        "churnlab_minus_autogluon": report.paired(figures, peer_figures, *reps, 0.95),
        "oracle_roc_auc": evaluate.get("oracle_roc_auc"),
        "gap_to_oracle": evaluate.get("gap_to_oracle"),
    }
    io.write_json(result, out)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["timing", "autogluon"])
    parser.add_argument("--peers-cache", type=Path, default=RESULTS / "real_peers")
    args = parser.parse_args(argv)
    quality = RESULTS / "quality"
    if args.what == "timing":
        print(timing(quality / "timing.json"))
    else:
        peer = AutoGluonPeer(args.peers_cache, run="missing")
        print(autogluon(quality / "synthetic_autogluon.json", peer))


if __name__ == "__main__":
    main()
