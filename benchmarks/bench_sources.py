"""Benchmark: read and prepare a 1M-row, 30-column churn CSV (issue target: < 60 s, < 4 GB).

Writes the CSV into a temporary folder, then in a fresh child process reads it through
``sources.read_source``, runs ``userdata.prepare_user_table`` (labels, privacy, schema
inference, leakage checks, quality report) and writes the prepared table as parquet
(``io.write_table``), recording wall time per step and the peak resident memory of that
process. Results: ``benchmarks/results/sources.json``. The machine is shared: the 1-minute
load average before and after the run is recorded beside the figures.

    python benchmarks/bench_sources.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "results" / "sources.json"


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    columns: dict = {"customer_id": [f"C{i:08d}" for i in range(rows)]}
    for j in range(20):
        columns[f"num_{j}"] = np.round(rng.normal(50, 15, rows), 3)
    for j in range(8):
        columns[f"cat_{j}"] = rng.choice(["alpha", "beta", "gamma", "delta", "eps"], rows)
    logit = (columns["num_0"] - 50) / 15 + (columns["cat_0"] == "alpha")
    columns["churn"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    pd.DataFrame(columns).to_csv(path, index=False)  # 30 columns


def child(path: str) -> None:
    import resource

    from churnlab import io
    from churnlab.config.params import parse_params
    from churnlab.data import sources, userdata

    p = parse_params(
        {
            "data": {
                "source": "csv",
                "path": path,
                "target": "churn",
                "positive": "Yes",
                "id": "customer_id",
            }
        }
    ).data
    t0 = time.perf_counter()
    raw = sources.read_source(p)
    t1 = time.perf_counter()
    result = userdata.prepare_user_table(raw, p, b"bench-salt")
    t2 = time.perf_counter()
    io.write_table(result.table, Path(path).with_suffix(".parquet"))
    t3 = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "read_s": round(t1 - t0, 2),
                "prepare_s": round(t2 - t1, 2),
                "write_parquet_s": round(t3 - t2, 2),
                "total_s": round(t3 - t0, 2),
                "peak_rss_mb": round(peak_kib / 1024, 1),
                "rows_out": len(result.table),
                "features_out": result.table.shape[1] - 2,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        load_before = os.getloadavg()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        load_after = os.getloadavg()
    figures = json.loads(out.strip().splitlines()[-1])
    figures.update(
        {
            "rows": args.rows,
            "columns": 30,
            "csv_mb": round(size_mb, 1),
            "cpus": os.cpu_count(),
            "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
            "targets": {"total_s": 60, "peak_rss_mb": 4096},
        }
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(json.dumps(figures, indent=2, sort_keys=True))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
