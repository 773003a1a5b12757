"""Serving benchmarks: API latency against a real uvicorn server, and 1M-row batch scoring.

Uses the repository's trained model (``dvc repro`` first). The API is started with
``churnlab serve`` (one uvicorn worker) on a free loopback port and called over one keep-alive
connection: single-customer latency (p50/p99) and 1,000-customer batches. Batch scoring runs
``churnlab score`` as a child process on 1,000,000 prepared customers (the default split rows
replicated with unique keys) and reads its peak RSS from ``wait4``. Results, with the machine's
load average, go to ``benchmarks/results/serving.json``.

    python benchmarks/bench_serving.py [--rows 1000000] [--single 500] [--batches 30] [--api-only]

The API is measured twice: with exact TreeSHAP reasons (``serve.contributions: exact``, the
default) and with XGBoost's approximate contributions (``approx``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from churnlab import io  # noqa: E402
from serving_support import free_port, server, to_json_rows  # noqa: E402

BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks/results/serving.json"


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def customers() -> pd.DataFrame:
    parts = [io.read_table(ROOT / f"data/split/{n}.parquet") for n in ("train", "valid", "test")]
    return pd.concat(parts, ignore_index=True).drop(columns=["churned"])


def timed_posts(port: int, bodies: list[bytes]) -> np.ndarray:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for body in bodies:
        start = time.perf_counter()
        conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
        times.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"status {response.status}: {payload[:300]!r}")
    conn.close()
    return np.asarray(times) * 1000.0


def bench_api(
    frame: pd.DataFrame, single: int, batches: int, tmp: Path, contributions: str
) -> dict:
    rows = to_json_rows(frame.head(5000))
    rng = np.random.default_rng(0)
    port = free_port()
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["serve"]["contributions"] = contributions
    params_path = tmp / f"params_{contributions}.yaml"
    params_path.write_text(yaml.safe_dump(params), encoding="utf-8")
    cmd = ["churnlab", "--params", str(params_path), "serve", "--port", str(port)]
    with server(cmd, ROOT, port):
        warm = [json.dumps({"customers": [rows[i]]}).encode() for i in range(30)]
        timed_posts(port, warm)
        picks = rng.integers(0, len(rows), single)
        one = timed_posts(port, [json.dumps({"customers": [rows[i]]}).encode() for i in picks])
        bodies = []
        for _ in range(batches):
            start = int(rng.integers(0, len(rows) - 1000))
            bodies.append(json.dumps({"customers": rows[start : start + 1000]}).encode())
        timed_posts(port, bodies[:3])
        many = timed_posts(port, bodies)
    return {
        "single_requests": single,
        "single_p50_ms": round(float(np.percentile(one, 50)), 2),
        "single_p99_ms": round(float(np.percentile(one, 99)), 2),
        "batch_1000_requests": batches,
        "batch_1000_p50_ms": round(float(np.percentile(many, 50)), 1),
        "batch_1000_max_ms": round(float(many.max()), 1),
        "batch_body_bytes": len(bodies[0]),
        "contributions": contributions,
    }


def bench_batch(frame: pd.DataFrame, n_rows: int, reasons: int, tmp: Path) -> dict:
    source = tmp / f"customers_{n_rows}.parquet"
    if not source.exists():
        repeats = -(-n_rows // len(frame))
        big = pd.concat([frame] * repeats, ignore_index=True).head(n_rows)
        big["customer_key"] = big["customer_key"] + "-" + (big.index // len(frame)).astype(str)
        io.write_table(big, source)
    target = tmp / "scored.parquet"
    cmd = [str(BIN / "churnlab"), "score", str(source), str(target), "--reasons", str(reasons)]
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    counts = json.loads(process.stdout.read())
    process.stdout.close()
    if status != 0:
        raise RuntimeError(f"churnlab score failed with status {status}")
    return {
        "rows": n_rows,
        "reasons": reasons,
        "seconds": round(seconds, 1),
        "rows_per_second": round(n_rows / seconds),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # Linux reports kilobytes
        "scored": counts["scored"],
        "input_mb": round(source.stat().st_size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reason-rows", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=500)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--api-only", action="store_true", help="skip the batch scoring runs")
    args = parser.parse_args()
    frame = customers()
    results: dict = {"cpu_count": os.cpu_count(), "load_before": load()}
    with tempfile.TemporaryDirectory() as tmp:
        results["api"] = bench_api(frame, args.single, args.batches, Path(tmp), "exact")
        results["api_approx"] = bench_api(frame, args.single, args.batches, Path(tmp), "approx")
        results["load_after_api"] = load()
        if not args.api_only:
            results["batch"] = bench_batch(frame, args.rows, 0, Path(tmp))
            results["batch_with_reasons"] = bench_batch(frame, args.reason_rows, 3, Path(tmp))
    results["load_after"] = load()
    if args.api_only and RESULTS.exists():
        # Keep the batch figures of the last full run beside the new API figures.
        previous = io.read_json(RESULTS)
        kept = {k: previous[k] for k in ("batch", "batch_with_reasons") if k in previous}
        results.update(kept)
        results["batch_measured_in_an_earlier_run"] = sorted(kept)
    io.write_json(results, RESULTS)
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
