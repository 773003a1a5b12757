"""bench_uplift_causalml's copy of causalml's AUUC (``auuc_score(normalize=True)``), against
hand-computed small cases (the benchmark itself checks it against causalml on every draw)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # causalml is imported only in its own venv
    return importlib.import_module("bench_uplift_causalml")


def test_causalml_auuc_by_hand(bench):
    y, t = [1, 0, 0, 0], [1, 0, 1, 0]
    # Best first: the uplift curve (treated rate - control rate) x k over k = 0..4 is
    # 0, (undefined: interpolated) 0.5, 2, 1.5, 2; over its final value 2, the mean is 0.6.
    assert bench.causalml_auuc(y, t, [4, 3, 2, 1]) == pytest.approx(0.6)
    # Reversed: 0, (interpolated) 0, 0, 0, 2 -> mean 0.2; no random line is subtracted.
    assert bench.causalml_auuc(y, t, [1, 2, 3, 4]) == pytest.approx(0.2)


def test_pooled_mean_and_its_interval_by_hand(bench):
    # Two cells, each interval 0.392 wide: standard errors 0.1, so the mean's is
    # sqrt(0.1² + 0.1²) / 2 and its 95 % half-width 1.96 × 0.0707.
    cells = [
        {"value": 0.3, "low": 0.104, "high": 0.496},
        {"value": -0.1, "low": -0.296, "high": 0.096},
    ]
    out = bench.pooled(cells)
    assert out["mean"] == pytest.approx(0.1)
    assert out["mean_high"] - out["mean"] == pytest.approx(1.96 * 0.1 * 2**0.5 / 2, abs=1e-4)
    assert (out["at_least_zero"], out["interval_above_zero"], out["of"]) == (1, 1, 2)
    assert out["interval_below_zero"] == 0
