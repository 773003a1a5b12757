"""bench_value_policy's per-seed comparison agrees with the stage's, and its pooling over seeds
averages the seeds resample by resample."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from churnlab.survival import policies
from test_survival_decisions import B

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCHMARKS))  # its sibling modules (bench_survival, real_data)
    path = BENCHMARKS / "bench_value_policy.py"
    spec = importlib.util.spec_from_file_location("bench_value_policy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_seed_is_the_stage_comparison_with_the_break_even_facts(bench):
    value = np.array([1000.0, 100.0, 40.0, 500.0])
    probability = np.array([0.3, 0.9, 0.8, 0.1])
    churned = np.array([True, True, False, False])
    at_risk = probability * value  # 300, 90, 32, 50
    out, draws = bench.seed_comparison(value, probability, at_risk, churned, B, 40, 0)
    stage = policies.compare(value, at_risk, probability, churned, B, 40, 0)
    assert out["contacted"] == stage["contacted"] and out["saved"] == stage["saved"]
    assert out["differences"] == stage["differences"]  # same draws, same intervals
    assert len(draws["value_at_risk_minus_probability"]) == 40
    assert out["break_even_value_at_risk"] == pytest.approx(10 / 0.5)
    assert out["above_break_even"] == 4 and out["max_value_at_risk"] == 300.0


def test_pooling_averages_the_seeds_resample_by_resample(bench):
    per_seed = {}
    for seed, level in ((0, 100.0), (1, -20.0)):
        draws = {k: np.full(50, level) + np.arange(50) for k in bench.DIFFERENCES}
        figures = {"differences": {k: {"value": level} for k in bench.DIFFERENCES}}
        per_seed[seed] = (figures, draws)
    pooled = bench.pooled(per_seed)["value_at_risk_minus_probability"]
    assert pooled["mean"] == pytest.approx(40.0)
    assert pooled["min"] == -20.0 and pooled["max"] == 100.0 and pooled["seeds_above_zero"] == 1
    low, high = pooled["interval"]
    assert 40.0 <= low < high <= 40.0 + 49  # the mean of the two seeds' draws, not a union
