"""The two uplift10 benchmarks' own pieces: bench_uplift_gap's swap of the true shift (the
true control log-odds moved by the true shift give back the true uplift) and
bench_uplift_x_effect's reference effect regression (LightGBM's library defaults, read from
LightGBM itself, so a changed library default shows here)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def module(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module


def test_true_shift_swapped_in_gives_the_true_uplift(module):
    gap = module("bench_uplift_gap")
    p0 = np.array([0.05, 0.3, 0.6, 0.9])
    uplift = np.array([0.02, -0.1, 0.4, 0.0])  # drop of churn; negative: a sleeping dog
    shift = gap._logit(p0 - uplift) - gap._logit(p0)  # as one_seed computes it
    assert gap._uplift(gap._logit(p0), shift) == pytest.approx(uplift)
    assert shift[1] > 0 > shift[0]  # a rise of the churn log-odds is a negative uplift


def test_reference_effect_regression_is_lightgbm_library_defaults(module):
    import lightgbm as lgb

    x_effect = module("bench_uplift_x_effect")
    library = lgb.LGBMRegressor().get_params()
    for name, value in x_effect.LIBRARY_REGRESSOR.items():
        assert value == library[name], name
    # Each of our X-learners is compared with causalml's of the same base family.
    for name, (base, _, reference) in x_effect.variants().items():
        assert name.startswith(f"x_{base}_")
        assert reference == ("causalml_x_logreg" if base == "logreg" else "causalml_x_lightgbm")
