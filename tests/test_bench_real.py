"""The real-data benchmark script (benchmarks/bench_real.py) on a tiny table it makes.

The tiny-table tests need no real data: AutoGluon is either skipped (no peers venv) or
replaced by a stand-in peer script run the same way (a subprocess of another python, CSV in,
scores out, cached per split). Only the check of the real tables' config reads
``../shared/data/`` and skips when it is absent.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "tiny": {
        "path": "tiny.csv",
        "target": "Churn",
        "positive": "Yes",
        "id": "cust",
        "columns": {"cost": {"type": "drop"}},
    }
}
FAKE_PEER = """
import argparse, json, sys
import pandas as pd
parser = argparse.ArgumentParser()
for name in ("--fit", "--test", "--label", "--out", "--info", "--presets"):
    parser.add_argument(name)
for name in ("--time-limit", "--num-cpus"):
    parser.add_argument(name, type=int)
parser.add_argument("--check", action="store_true")
args = parser.parse_args()
if args.check:
    sys.exit(0)
fit, test = pd.read_csv(args.fit), pd.read_csv(args.test)
pd.DataFrame({"score": test["usage"]}).to_csv(args.out, index=False)
info = {"fit_rows": len(fit), "columns": sorted(fit.columns), "label": args.label}
json.dump(info, open(args.info, "w"))
"""


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    try:
        yield importlib.import_module("bench_real")
    finally:
        sys.path.remove(str(REPO_ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """300 customers: a numeric signal, numbers stored as text with blanks, a category, a
    cost column the user drops, a Yes/No label."""
    rng = np.random.default_rng(3)
    n = 300
    usage, spend = rng.normal(size=n), rng.exponential(size=n)
    plan = rng.choice(["basic", "plus", "pro"], size=n)
    logit = 1.5 * usage - 0.7 * spend + 0.8 * (plan == "basic") - 0.5
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    total = np.where(rng.random(n) < 0.05, " ", (spend * 100).round(2).astype(str))
    folder = tmp_path_factory.mktemp("tiny_data")
    pd.DataFrame(
        {
            "cust": [f"C{i:04d}" for i in range(n)],
            "usage": usage,
            "total": total,
            "plan": plan,
            "cost": rng.random(n),
            "Churn": np.where(churned, "Yes", "No"),
        }
    ).to_csv(folder / "tiny.csv", index=False)
    return folder


def run(bench, data_dir: Path, results: Path, *extra: str, cache: Path | None = None) -> dict:
    # One XGBoost thread: two OpenMP threads on a busy 2-core machine crawl on tiny data.
    argv = ["--seeds", "2", "--resamples", "200", "--set", "train.xgboost.n_jobs=1"]
    argv += ["--data-dir", str(data_dir), "--peers-cache", str(cache or results / "real_peers")]
    return bench.main([*argv, "--results", str(results), *extra], tables=TINY)


def test_tiny_table_without_autogluon(bench, data_dir, tmp_path):
    results = run(bench, data_dir, tmp_path, "--peers-python", str(tmp_path / "no-python"))
    written = json.loads((tmp_path / "real.json").read_text())
    assert written["tables"].keys() == {"tiny"}
    table = written["tables"]["tiny"]
    assert table["customers"] == 300
    assert table["peer_columns"] == 3  # cust, Churn and the dropped cost column are gone
    methods = table["methods"]
    assert set(methods) == {"churnlab", "notebook_lr", "notebook_xgb", "autogluon"}
    assert "cached scores" in methods["autogluon"]["skipped"][0]
    ours = methods["churnlab"]
    for name in ("churnlab", "notebook_lr", "notebook_xgb"):
        figures = methods[name]
        for metric in ("roc_auc", "pr_auc"):
            assert len(figures[metric]) == 2
            assert all(0.5 < v <= 1 for v in figures["roc_auc"])  # the table carries signal
            assert figures[f"mean_{metric}"] == pytest.approx(np.mean(figures[metric]), abs=1e-6)
        if name == "churnlab":
            assert "paired" not in figures
            continue
        for metric in ("roc_auc", "pr_auc"):
            d = figures["paired"][metric]
            per_seed = np.array(ours[metric]) - np.array(figures[metric])
            assert d["per_seed_difference"] == pytest.approx(per_seed, abs=2e-6)
            assert d["mean_difference"] == pytest.approx(per_seed.mean(), abs=2e-6)
            assert d["wins"] == int((per_seed > 0).sum())
            assert d["seeds"] == 2
            assert d["low"] < d["high"]
            assert len(d["per_seed_interval"]) == 2
    assert results["tables"]["tiny"]["methods"]["churnlab"]["roc_auc"] == ours["roc_auc"]
    summary = (tmp_path / "real.md").read_text()
    assert "| tiny | 300 |" in summary and "notebook XGB" in summary
    # real_compare pairs two runs seed by seed (here the run and a shifted copy of it)
    import real_compare

    shifted = json.loads(json.dumps(written))
    b = shifted["tables"]["tiny"]["methods"]["churnlab"]
    b["roc_auc"] = [b["roc_auc"][0] + 0.01, b["roc_auc"][1] - 0.002]
    pair = real_compare.compare(written, shifted)["tables"]["tiny"]["roc_auc"]
    assert pair["per_seed_difference"] == pytest.approx([0.01, -0.002], abs=1e-6)
    assert pair["mean_difference"] == pytest.approx(0.004, abs=1e-6) and pair["wins_b"] == 1
    assert pair["low"] < 0.004 < pair["high"]
    shifted["tables"]["tiny"]["test_customers"][0] += 1  # other customers: never paired
    with pytest.raises(SystemExit, match="same test customers"):
        real_compare.compare(written, shifted)


def test_autogluon_path_with_a_stand_in_peer(bench, data_dir, tmp_path):
    """The subprocess gets train+valid rows and the raw columns; its scores are cached per
    seed and reused by the next run without running the peer."""
    fake = tmp_path / "fake_peer.py"
    fake.write_text(textwrap.dedent(FAKE_PEER))
    peer = ["--peers-python", sys.executable, "--autogluon-script", str(fake)]
    first = run(bench, data_dir, tmp_path, *peer, "--peers", "autogluon")["tables"]["tiny"]
    ag = first["methods"]["autogluon"]
    for seed, record in enumerate(ag["runs"]):
        assert record["fit_rows"] == 300 - first["test_customers"][seed]  # train + valid
        assert record["columns"] == sorted(["usage", "total", "plan", record["label"]])
        assert len(record["load_average_before"]) == 3 and record["cpu_count"] >= 1
        assert record["cached"] is False
        cache = tmp_path / "real_peers" / f"tiny_seed{seed}.parquet"
        assert len(pq.read_table(cache)) == first["test_customers"][seed]
    # the stand-in scores by `usage`, the strongest signal: well above chance
    assert ag["mean_roc_auc"] > 0.6 and "paired" in ag
    again = run(bench, data_dir, tmp_path, *peer)["tables"]["tiny"]["methods"]["autogluon"]
    assert [r["cached"] for r in again["runs"]] == [True, True]
    assert again["roc_auc"] == ag["roc_auc"]
    # another --results folder (a named run) still finds the shared cache of the same split
    elsewhere = tmp_path / "quality"
    quick = ("--set", "train.select=never")
    named = run(bench, data_dir, elsewhere, *peer, *quick, cache=tmp_path / "real_peers")
    assert [r["cached"] for r in named["tables"]["tiny"]["methods"]["autogluon"]["runs"]] == [
        True,
        True,
    ]
    assert named["tables"]["tiny"]["methods"]["autogluon"]["roc_auc"] == ag["roc_auc"]
    assert not (elsewhere / "real_peers").exists()
    # a cache made for another split is not used: skipped with a note, never a failure
    cache = bench.AutoGluonPeer(tmp_path / "real_peers")
    rows = pq.read_table(tmp_path / "real_peers" / "tiny_seed0.parquet")["row"].to_numpy()
    other = {"file_sha256": "another file", "fit_rows": [], "test_rows": rows}
    scores, record = cache.scores("tiny", 0, other)
    assert scores is None and "no cached scores" in record["skipped"]
    assert "made for other customers" in record["skipped"]
    # the key of this split but other test customers in the file: refused, never mis-paired
    key = cache.split_key("tiny", first["file_sha256"], [], rows[:-1])
    hit, why = cache.cached(tmp_path / "real_peers" / "tiny_seed0.parquet", key, rows[:-1])
    assert hit is None and "other customers" in why
    # asked to run AutoGluon where it is not installed: a note, not a failure
    absent = bench.AutoGluonPeer(tmp_path / "real_peers", python=tmp_path / "none", run="all")
    scores, record = absent.scores("tiny", 0, other)
    assert scores is None and "AutoGluon not available" in record["skipped"]


def test_set_overrides_and_numbers_stored_as_text(bench, data_dir):
    import real_data

    params = real_data.table_params(TINY["tiny"], data_dir, ["train.xgboost.max_depth=4"])
    assert params.train.xgboost.max_depth == 4
    assert params.data.columns["cost"].type == "drop"
    with pytest.raises(SystemExit, match="no section 'nowhere'"):
        real_data.table_params(TINY["tiny"], data_dir, ["nowhere.max_depth=4"])
    frame = pd.DataFrame({"total": ["1.5", " ", "20"], "price": ["30", "Unknown", "150"]})
    parsed = real_data.numbers_as_numbers(frame)
    assert parsed["total"].tolist()[::2] == [1.5, 20.0] and np.isnan(parsed["total"][1])
    assert parsed["price"].tolist() == ["30", "Unknown", "150"]  # not every value a number


def test_real_tables_config_matches_the_shared_files(bench):
    import real_data

    if not real_data.DATA_DIR.exists():
        pytest.skip("../shared/data is absent")
    for name, spec in real_data.TABLES.items():
        path = real_data.DATA_DIR / spec["path"]
        if not path.exists():
            pytest.skip(f"{path} is absent")
        head = pd.read_csv(path, nrows=200)
        needed = [spec["target"], *([spec["id"]] if spec["id"] else []), *spec.get("columns", {})]
        assert set(needed) <= set(head.columns), name
        values = {str(v).strip().lower() for v in head[spec["target"]].unique()}
        assert values & {str(spec["positive"]).lower(), f"{spec['positive']}.0"}, name
