"""bench_survival's summary: the check seeds are summarised apart from the seeds that chose the
settings, and never overlap them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    path = BENCHMARKS / "bench_survival.py"
    spec = importlib.util.spec_from_file_location("bench_survival", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # it imports only churnlab, no sibling benchmark
    return module


def fake_seed(bench, level: float, seed: int):
    draws = np.random.default_rng(seed).normal(level, 0.001, 50)
    per_seed = {name: (level, draws) for _, name, _ in bench.DIFFERENCES}
    figures = {"xgb_cox": {"concordance": 0.8 + level}, "reference": {"n_test": 10.0}}
    return per_seed, figures


def test_check_seeds_are_summarised_apart(bench):
    levels = {0: -0.01, 1: -0.02, 7: 0.5}
    per_seed, figures = {}, {}
    for seed, level in levels.items():
        per_seed[seed], figures[str(seed)] = fake_seed(bench, level, seed)
    out = bench.summaries(per_seed, figures, [0, 1], [7])
    gap = out["differences"]["concordance_minus_oracle"]
    assert gap["mean"] == pytest.approx(-0.015)
    assert sorted(gap["per_seed"]) == ["0", "1"]
    assert out["means"]["xgb_cox"]["concordance"] == pytest.approx(0.785)  # seed 7 left out
    check = out["check"]["differences"]["concordance_minus_oracle"]
    assert out["check"]["seeds"] == [7] and check["mean"] == pytest.approx(0.5)
    assert bench.summaries(per_seed, figures, [0, 1], [])["check"] is None
    with pytest.raises(SystemExit, match="new seeds"):
        bench.summaries(per_seed, figures, [0, 1], [1])
