"""Issue 17's published check: our uplift learners against causalml's on causalml's own data.

causalml's generator ``make_uplift_classification`` at its documented settings (its defaults,
as in causalml's notebook ``uplift_trees_with_synthetic_data``: 1,000 customers per group,
a control and three treatments, ``random_seed=20190101``; the notebook's split
``train_test_split(test_size=0.2, random_state=111)``), plus further draws with other seeds.
causalml cannot live in the project environment (it pulls the CUDA XGBoost wheel, numba and
other pins), so the script runs in two environments and exchanges CSV files through a
temporary folder:

1. ``causalml`` (run by step 2 in ``/work/causalml-venv``, ``requirements-causalml.txt``):
   draws the data, splits it as the notebook does, fits causalml's reference learners on train
   — ``UpliftRandomForestClassifier(control_name="control")`` as documented, and the T-, X-
   and S-learner classifiers over logistic regression and LightGBM — and writes the draw and
   their test uplifts;
2. the default command (project venv): fits our learners (every one of ``churnlab.uplift.
   learners`` over the zoo's ``logreg`` and ``lightgbm``, early-stopped on a quarter of train;
   ``auto`` = the best cross-validated Qini on the other three quarters, as the stage
   chooses with ``uplift.cv_folds``; ``ours_valid`` = the best Qini on that quarter, the
   earlier rule) per treatment against control,
   on the same train rows, and scores every method's AUUC (``churnlab.uplift.metrics.auuc``,
   scikit-uplift's normalised AUUC) on the same test rows, with a paired bootstrap of ours
   minus each reference.

Writes ``benchmarks/results/uplift_causalml.json``. Run from the repository root::

    python benchmarks/bench_uplift_causalml.py [--python /work/causalml-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "uplift_causalml.json"
DOCUMENTED_SEED = 20190101
TREATMENTS = ("treatment1", "treatment2", "treatment3")
BASES = ("logreg", "lightgbm")


def causalml_side(folder: Path, seeds: list[int]) -> None:
    """In the causalml venv: the draws, the notebook's split and the reference uplifts."""
    from causalml.dataset import make_uplift_classification
    from causalml.inference.meta import BaseSClassifier, BaseTClassifier, BaseXClassifier
    from causalml.inference.tree import UpliftRandomForestClassifier
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.model_selection import train_test_split

    references = {
        "causalml_urf_kl": lambda: UpliftRandomForestClassifier(control_name="control"),
        "causalml_t_logreg": lambda: BaseTClassifier(
            LogisticRegression(max_iter=2000), control_name="control"
        ),
        "causalml_t_lightgbm": lambda: BaseTClassifier(
            LGBMClassifier(verbose=-1), control_name="control"
        ),
        "causalml_x_logreg": lambda: BaseXClassifier(
            outcome_learner=LogisticRegression(max_iter=2000),
            effect_learner=LinearRegression(),
            control_name="control",
        ),
        "causalml_x_lightgbm": lambda: BaseXClassifier(
            outcome_learner=LGBMClassifier(verbose=-1),
            effect_learner=LGBMRegressor(verbose=-1),
            control_name="control",
        ),
        "causalml_s_lightgbm": lambda: BaseSClassifier(
            LGBMClassifier(verbose=-1), control_name="control"
        ),
    }
    for seed in seeds:
        df, x_names = make_uplift_classification(random_seed=seed)
        train, test = train_test_split(df, test_size=0.2, random_state=111)
        out = test[["treatment_group_key", "conversion"]].reset_index(drop=True)
        for name, make in references.items():
            model = make()
            group = train["treatment_group_key"].to_numpy()
            if name.startswith("causalml_urf"):
                model.fit(
                    train[x_names].to_numpy(), treatment=group, y=train["conversion"].to_numpy()
                )
                uplift = model.predict(test[x_names].to_numpy())
            else:
                model.fit(train[x_names].to_numpy(), group, train["conversion"].to_numpy())
                uplift = np.asarray(model.predict(test[x_names].to_numpy()))
            for i, treatment in enumerate(TREATMENTS):  # one column per treatment, in order
                out[f"{name}__{treatment}"] = uplift[:, i]
        df.assign(part=np.where(df.index.isin(test.index), "test", "train")).to_csv(
            folder / f"draw_{seed}.csv", index=False
        )
        out.to_csv(folder / f"references_{seed}.csv", index=False)
        (folder / "x_names.json").write_text(json.dumps(x_names))


def our_scores(train: pd.DataFrame, test: pd.DataFrame, x_names, treatment, seed, cv) -> dict:
    """Our learners on control vs ``treatment``: test uplifts per learner, ``ours_valid`` (the
    best validation Qini), ``ours_auto`` (the stage's rule: the best cross-validated Qini on
    the fitting rows, ``cv = (folds, average_top)``; the ``average`` candidate included)."""
    from churnlab.config.params import Params
    from churnlab.modeling.registry import spec_for
    from churnlab.uplift import learners, report, selection

    def campaign(frame):
        t = (frame["treatment_group_key"] == treatment).to_numpy().astype(int)
        churned = 1 - frame["conversion"].to_numpy()  # our learners' uplift = drop of the label
        return report.Campaign(
            frame[x_names].reset_index(drop=True), churned, t, np.full(len(t), t.mean())
        )

    rng = np.random.default_rng(seed)
    valid_rows = rng.random(len(train)) < 0.25
    fit, valid = campaign(train[~valid_rows]), campaign(train[valid_rows])
    scored = campaign(test)
    train_params = Params().train.model_copy(update={"seed": seed})
    names = [f"ours_{name}_{base}" for base in BASES for name in sorted(learners.LEARNERS)]

    def fit_all(wanted, part):  # every learner over both base models, named as in the JSON
        out = {}
        for base in BASES:
            model = spec_for(base).make(train_params, part.churned)
            fitted = report.fit_learners(sorted(learners.LEARNERS), model, part, valid, seed)
            out |= {f"ours_{n}_{base}": m for n, m in fitted.items()}
        return {n: out[n] for n in wanted}

    fitted = fit_all(names, fit)
    _, valid_qini = report.choose(fitted, valid, "auto")
    scores = {name: learner.predict(scored.X) for name, learner in fitted.items()}
    scores["ours_valid"] = scores[max(valid_qini, key=lambda k: (valid_qini[k], k))]
    folds, top = cv
    cv_qini = selection.cross_validate(fit_all, names, fit, folds, seed, top)
    chosen = selection.best(cv_qini)
    singles = {n: c for n, c in cv_qini.items() if n != selection.AVERAGE}
    scores["ours_cv_single"] = scores[selection.best(singles)]  # the rule without `average`
    if chosen == selection.AVERAGE:
        scores["ours_auto"] = np.mean([scores[n] for n in cv_qini[chosen]["members"]], axis=0)
        chosen = "average of " + ", ".join(cv_qini[selection.AVERAGE]["members"])
    else:
        scores["ours_auto"] = scores[chosen]
    return scores, chosen


def compare(folder: Path, seed: int, resamples: int, cv: tuple[int, int]) -> dict:
    draw = pd.read_csv(folder / f"draw_{seed}.csv")
    refs = pd.read_csv(folder / f"references_{seed}.csv")
    x_names = json.loads((folder / "x_names.json").read_text())
    from sklearn.model_selection import train_test_split

    # The references are in the notebook split's (shuffled) test order: the same split again.
    _, rows = train_test_split(np.arange(len(draw)), test_size=0.2, random_state=111)
    train, test = draw[draw["part"] == "train"], draw.iloc[rows].reset_index(drop=True)
    assert (test["part"] == "test").all()
    assert (test["conversion"].to_numpy() == refs["conversion"].to_numpy()).all()
    assert (test["treatment_group_key"].to_numpy() == refs["treatment_group_key"].to_numpy()).all()
    out = {}
    for treatment in TREATMENTS:
        pair = test["treatment_group_key"].isin(["control", treatment]).to_numpy()
        rows = test[pair].reset_index(drop=True)
        scores, chosen = our_scores(
            train[train["treatment_group_key"].isin(["control", treatment])],
            rows,
            x_names,
            treatment,
            seed,
            cv,
        )
        for column in refs.columns:
            if column.endswith(f"__{treatment}"):
                scores[column.split("__")[0]] = refs.loc[pair, column].to_numpy()
        y, t = (
            rows["conversion"].to_numpy(),
            (rows["treatment_group_key"] == treatment).to_numpy().astype(int),
        )
        out[treatment] = auuc_table(y, t, scores, resamples, seed) | {"ours_auto_is": chosen}
    return out


def auuc_table(y, t, scores: dict, resamples: int, seed: int) -> dict:
    """AUUC of each method; ours_auto minus each causalml reference, paired bootstrap."""
    from churnlab.uplift import metrics

    rng = np.random.default_rng(seed)
    draws = [np.arange(len(y))] + [rng.integers(0, len(y), len(y)) for _ in range(resamples)]
    values = {
        k: np.array([metrics.auuc(y[r], s[r], t[r]) for r in draws]) for k, s in scores.items()
    }
    refs = [k for k in values if k.startswith("causalml_")]
    best = max(refs, key=lambda k: values[k][0])
    diffs = {
        f"ours_auto_minus_{k}": values["ours_auto"] - values[k]
        for k in [*refs, "ours_valid", "ours_cv_single"]
    }
    out = {"auuc": {k: round(float(v[0]), 4) for k, v in values.items()}, "best_reference": best}
    out["ours_auto_minus"] = {
        k.removeprefix("ours_auto_minus_"): {
            "value": round(float(v[0]), 4),
            "low": round(float(np.quantile(v[1:], 0.025)), 4),
            "high": round(float(np.quantile(v[1:], 0.975)), 4),
        }
        for k, v in diffs.items()
    }
    out["ours_auto_minus_best"] = out["ours_auto_minus"][best]  # what the docs' table reads
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("side", nargs="?", default="compare", choices=["compare", "causalml"])
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[DOCUMENTED_SEED, 1, 2, 3, 4])
    parser.add_argument("--python", default="/work/causalml-venv/bin/python")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--folds", type=int, help="default: uplift.cv_folds's default")
    parser.add_argument("--average-top", type=int, help="default: uplift.cv_average_top's")
    args = parser.parse_args(argv)
    if args.side == "causalml":
        causalml_side(args.dir, args.seeds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        # --dir keeps the exchanged files (draws already there are not drawn again).
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        missing = [str(s) for s in args.seeds if not (folder / f"references_{s}.csv").exists()]
        if missing:
            command = [args.python, __file__, "causalml", "--dir", str(folder), "--seeds"]
            subprocess.run([*command, *missing], check=True)
        versions = subprocess.run(
            [args.python, "-m", "pip", "freeze"], check=True, capture_output=True, text=True
        ).stdout
        from churnlab.config.uplift import UpliftParams  # the project venv only

        default = UpliftParams()
        args.folds = default.cv_folds if args.folds is None else args.folds
        args.average_top = default.cv_average_top if args.average_top is None else args.average_top
        cv = (args.folds, args.average_top)
        results = {str(seed): compare(folder, seed, args.resamples, cv) for seed in args.seeds}
    out = {
        "what": "make_uplift_classification() defaults (documented), notebook split "
        "(test_size=0.2, random_state=111); AUUC = churnlab.uplift.metrics.auuc on the test "
        "rows of control + each treatment; intervals: paired bootstrap of those rows",
        "documented_seed": DOCUMENTED_SEED,
        "cv_folds": args.folds,
        "cv_average_top": args.average_top,
        "causalml_env": sorted(line for line in versions.splitlines() if "==" in line),
        "draws": results,
    }
    args.out.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(
        json.dumps(
            {
                s: {t: r[t]["ours_auto_minus"][r[t]["best_reference"]] for t in TREATMENTS}
                for s, r in results.items()
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
