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
