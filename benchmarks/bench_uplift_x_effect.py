"""Why our X-learner trails causalml's ``BaseXClassifier`` in the published check: the effect
regressions, measured.

The two X-learners are the same algorithm (read in causalml 0.18.0's ``BaseXClassifier``: the
control model imputes the treated customers' effects and the treated model the control
customers', one effect regression per group, blended by the propensity). They differ in the
effect regression: causalml's reference uses the one the benchmark names
(``LinearRegression`` beside logistic regression, ``LGBMRegressor()`` at the library's
defaults beside LightGBM), ours is always the small regularised LightGBM of
``churnlab.uplift.learners.default_regressor``; and in the blend's propensity (causalml fits
one per row, ours uses the campaign's share). This benchmark fits our X-learner on the draws
of ``bench_uplift_causalml.py`` (causalml's ``make_uplift_classification()``, documented
settings and split; refitted on every train row, as that benchmark's ``_full`` learners) with
our effect regression and with the reference's, and compares each with causalml's X-learner
on the same test rows (AUUC, paired bootstrap; pooled over draws × treatments as
``bench_uplift_causalml.pooled``):

- ``x_logreg``: over logistic regression, ours (``default``) and with ``LinearRegression``
  (``linear``), minus ``causalml_x_logreg``;
- ``x_lightgbm_defaults``: over the zoo's LightGBM at the library's defaults, ours and with
  the library-default ``LGBMRegressor`` settings (``lightgbm_defaults``), minus
  ``causalml_x_lightgbm``.

The churn campaign's side of the same question (our X-learner with a linear effect
regression on the default synthetic data) is in ``bench_uplift_gap.py`` (``x_linear_effect``).
Reads or writes the draws in ``--dir`` (drawn by causalml's environment when missing, as
``bench_uplift_causalml.py`` does). Writes ``benchmarks/results/uplift_x_effect.json``::

    python benchmarks/bench_uplift_x_effect.py --dir /tmp/cml [--seeds 20190101 1 2 3 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

from churnlab.config.params import Params
from churnlab.modeling.registry import spec_for
from churnlab.uplift import metrics, report
from churnlab.uplift.base import LIGHTGBM_LIBRARY_DEFAULTS, with_params
from churnlab.uplift.learners import XLearner, default_regressor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_uplift_causalml import DOCUMENTED_SEED, TREATMENTS, _interval, pooled

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "uplift_x_effect.json"
CAUSALML_SIDE = Path(__file__).resolve().parent / "bench_uplift_causalml.py"
# LGBMRegressor's own defaults on our effect regressor (as causalml's reference is built).
LIBRARY_REGRESSOR = {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31}
LIBRARY_REGRESSOR |= {"min_child_samples": 20, "subsample": 1.0, "colsample_bytree": 1.0}
LIBRARY_REGRESSOR |= {"reg_lambda": 0.0}


def variants() -> dict[str, tuple[str, object, str]]:
    """name: (base, effect regressor or None for ours, causalml reference compared)."""
    return {
        "x_logreg_default": ("logreg", None, "causalml_x_logreg"),
        "x_logreg_linear": ("logreg", LinearRegression(), "causalml_x_logreg"),
        "x_lightgbm_defaults_default": ("lightgbm_defaults", None, "causalml_x_lightgbm"),
        "x_lightgbm_defaults_lightgbm_defaults": (
            "lightgbm_defaults",
            default_regressor().set_params(**LIBRARY_REGRESSOR),
            "causalml_x_lightgbm",
        ),
    }


def cell(train, test, refs, x_names, treatment, seed, resamples) -> dict:
    """One draw × treatment: each variant's AUUC minus its causalml reference."""

    def campaign(frame):
        t = (frame["treatment_group_key"] == treatment).to_numpy().astype(int)
        churned = 1 - frame["conversion"].to_numpy()  # our uplift = drop of the label
        return report.Campaign(
            frame[x_names].reset_index(drop=True), churned, t, np.full(len(t), t.mean())
        )

    train = train[train["treatment_group_key"].isin(["control", treatment])]
    pair = test["treatment_group_key"].isin(["control", treatment]).to_numpy()
    fit, scored = campaign(train), campaign(test[pair])
    # The quarter of bench_uplift_causalml's early stopping (same draw of rows).
    rng = np.random.default_rng(seed)
    valid = campaign(train[rng.random(len(train)) < 0.25])
    train_params = Params().train.model_copy(update={"seed": seed})
    scores = {}
    for name, (base_name, regressor, _) in variants().items():
        zoo = base_name.removesuffix("_defaults")
        settings = LIGHTGBM_LIBRARY_DEFAULTS if zoo != base_name else {}
        base = with_params(spec_for(zoo).make(train_params, fit.churned), settings)
        learner = XLearner(base=base, regressor=regressor).fit(
            fit.X, fit.churned, fit.treatment, fit.propensity,
            valid=(valid.X, valid.churned, valid.treatment),
        )  # fmt: skip
        scores[name] = learner.predict(scored.X)
    for ref in {ref for _, _, ref in variants().values()}:
        scores[ref] = refs.loc[pair, f"{ref}__{treatment}"].to_numpy()
    y, t = scored.stayed, scored.treatment
    rng = np.random.default_rng(seed)  # the resamples of bench_uplift_causalml.auuc_table
    draws = [np.arange(len(y))] + [rng.integers(0, len(y), len(y)) for _ in range(resamples)]
    values = {
        k: np.array([metrics.auuc(y[r], s[r], t[r]) for r in draws]) for k, s in scores.items()
    }
    return {
        "auuc": {k: round(float(v[0]), 4) for k, v in values.items()},
        "minus_reference": {
            name: _interval(values[name] - values[ref]) for name, (_, _, ref) in variants().items()
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, required=True, help="the draws (kept, reused)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[DOCUMENTED_SEED, 1, 2, 3, 4])
    parser.add_argument("--python", default="/work/causalml-venv/bin/python")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    missing = [str(s) for s in args.seeds if not (args.dir / f"references_{s}.csv").exists()]
    if missing:
        command = [args.python, str(CAUSALML_SIDE), "causalml", "--dir", str(args.dir)]
        subprocess.run([*command, "--seeds", *missing], check=True)
    x_names = json.loads((args.dir / "x_names.json").read_text())
    results = {}
    for seed in args.seeds:
        draw = pd.read_csv(args.dir / f"draw_{seed}.csv")
        refs = pd.read_csv(args.dir / f"references_{seed}.csv")
        # The references are in the notebook split's (shuffled) test order: the same split.
        _, rows = train_test_split(np.arange(len(draw)), test_size=0.2, random_state=111)
        train, test = draw[draw["part"] == "train"], draw.iloc[rows].reset_index(drop=True)
        assert (test["conversion"].to_numpy() == refs["conversion"].to_numpy()).all()
        results[str(seed)] = {
            treatment: cell(train, test, refs, x_names, treatment, seed, args.resamples)
            for treatment in TREATMENTS
        }
        print(json.dumps({seed: results[str(seed)]}), flush=True)
    cells = [r[t] for r in results.values() for t in TREATMENTS]
    summary = {name: pooled([c["minus_reference"][name] for c in cells]) for name in variants()}
    out = {
        "what": "our X-learner (refitted on every train row) minus causalml's X-learner of the "
        "same base family, AUUC on the test rows of control + each treatment of "
        "make_uplift_classification() draws; intervals: paired bootstrap of those rows; "
        "summary: pooled over draws x treatments (bench_uplift_causalml.pooled)",
        "compared_with": {name: ref for name, (_, _, ref) in variants().items()},
        "summary": summary,
        "draws": results,
    }
    args.out.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    sys.exit(main())
