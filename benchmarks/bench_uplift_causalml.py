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

Also (issue 17's "why do we lose"): the like-with-like comparisons of :func:`auuc_table`,
our picks refitted on every train row (``_full``), the stage's default rule (``ours_prefer``)
and causalml's own AUUC of every method (:func:`causalml_auuc`, checked against causalml's
``auuc_score`` on the references). (Over 300 lines: one benchmark in two environments, kept in
one file so the two sides cannot drift apart.)

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
BASES = ("logreg", "lightgbm", "lightgbm_defaults")
# Our learners compared (those of the documented run; a learner added later joins explicitly).
OURS = ("class_transformation", "dr", "s", "shift", "shift_corrected", "t", "x")
# A base named ``<zoo model>_defaults``: that zoo model with the library's own defaults
# (``uplift.base_params`` = ``churnlab.uplift.base.LIGHTGBM_LIBRARY_DEFAULTS``).
PREFER = "ours_shift_corrected_logreg"  # uplift.prefer over the default uplift.base_model
# Each causalml reference's nearest learner of ours (same meta-learner, same base family).
COUNTERPARTS = {
    "causalml_t_logreg": "ours_t_logreg",
    "causalml_t_lightgbm": "ours_t_lightgbm",
    "causalml_x_logreg": "ours_x_logreg",
    "causalml_x_lightgbm": "ours_x_lightgbm",
    "causalml_s_lightgbm": "ours_s_lightgbm",
}
# The same references against ours over LightGBM's library defaults (uplift.base_params).
DEFAULTS_COUNTERPARTS = {
    "causalml_t_lightgbm": "ours_t_lightgbm_defaults",
    "causalml_x_lightgbm": "ours_x_lightgbm_defaults",
    "causalml_s_lightgbm": "ours_s_lightgbm_defaults",
}


def causalml_side(folder: Path, seeds: list[int]) -> None:
    """In the causalml venv: the draws, the notebook's split and the reference uplifts."""
    from causalml.dataset import make_uplift_classification
    from causalml.inference.meta import BaseSClassifier, BaseTClassifier, BaseXClassifier
    from causalml.inference.tree import UpliftRandomForestClassifier
    from causalml.metrics import auuc_score
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
        own = {}  # causalml's own AUUC (auuc_score, normalize=True) of each reference
        for treatment in TREATMENTS:
            pair = out[out["treatment_group_key"].isin(["control", treatment])]
            frame = pd.DataFrame(
                {
                    "y": pair["conversion"].to_numpy(),
                    "w": (pair["treatment_group_key"] == treatment).to_numpy().astype(int),
                }
                | {n: pair[f"{n}__{treatment}"].to_numpy() for n in references}
            )
            own[treatment] = auuc_score(frame, "y", "w", "tau").to_dict()
        (folder / f"causalml_auuc_{seed}.json").write_text(json.dumps(own))
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
    from churnlab.uplift import report, selection
    from churnlab.uplift.base import LIGHTGBM_LIBRARY_DEFAULTS, with_params

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
    names = [f"ours_{name}_{base}" for base in BASES for name in OURS]

    def fit_all(wanted, part):  # the wanted learners over both base models, named as in JSON
        out = {}
        for base in BASES:
            here = [n for n in OURS if f"ours_{n}_{base}" in wanted]
            if here:
                zoo = base.removesuffix("_defaults")
                settings = LIGHTGBM_LIBRARY_DEFAULTS if zoo != base else {}
                model = with_params(spec_for(zoo).make(train_params, part.churned), settings)
                fitted = report.fit_learners(here, model, part, valid, seed)
                out |= {f"ours_{n}_{base}": m for n, m in fitted.items()}
        return out

    fitted = fit_all(names, fit)
    on_valid = report.predict_all(fitted, valid.X)
    _, valid_qini = report.choose(on_valid, valid, "auto")
    scores = report.predict_all(fitted, scored.X)
    scores["ours_valid"] = scores[max(valid_qini, key=lambda k: (valid_qini[k], k))]
    prefer, _ = selection.preferred(
        valid.stayed, valid.treatment, on_valid, PREFER, 200, seed, 0.95
    )  # the stage's default rule (uplift.prefer over uplift.base_model logreg)
    scores["ours_prefer"] = scores[prefer]
    folds, top = cv
    cv_qini = selection.cross_validate(fit_all, names, fit, folds, seed, top)
    chosen = selection.best(cv_qini)
    singles = {n: c for n, c in cv_qini.items() if n != selection.AVERAGE}
    scores["ours_cv_single"] = scores[selection.best(singles)]  # the rule without `average`
    members = cv_qini[chosen]["members"] if chosen == selection.AVERAGE else [chosen]
    scores["ours_auto"] = np.mean([scores[n] for n in members], axis=0)
    # The same picks and the causalml references' counterparts refitted on every train row
    # (as causalml's are; the quarter still stops the boosted models' rounds).
    pairs = {*COUNTERPARTS.values(), *DEFAULTS_COUNTERPARTS.values()}
    refit = fit_all({*members, prefer, *pairs}, campaign(train))
    full = {name: learner.predict(scored.X) for name, learner in refit.items()}
    scores["ours_auto_full"] = np.mean([full[n] for n in members], axis=0)
    scores["ours_prefer_full"] = full[prefer]
    scores |= {f"{n}_full": full[n] for n in pairs}
    picks = {"auto": " + ".join(members), "prefer": prefer}
    return scores, picks


def compare(folder: Path, seed: int, resamples: int, cv: tuple[int, int]) -> dict:
    draw = pd.read_csv(folder / f"draw_{seed}.csv")
    refs = pd.read_csv(folder / f"references_{seed}.csv")
    own = json.loads((folder / f"causalml_auuc_{seed}.json").read_text())
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
        table = auuc_table(y, t, scores, resamples, seed, own[treatment])
        out[treatment] = table | {
            "ours_auto_is": chosen["auto"],
            "ours_prefer_is": chosen["prefer"],
        }
    return out


def causalml_auuc(y, t, score) -> float:
    """causalml's ``auuc_score(normalize=True)`` of one score (``get_cumgain``): the mean over
    k = 0 … n of the uplift curve (treated minus control rate of the top k, × k) over its
    final value; no random line is subtracted (a random score gets about 0.5 × the final
    value's sign), rows are ranked one by one (tied scores in pandas' sort order, as causalml
    sorts: ours averages over a tie), and undefined rates at the top are interpolated from the
    origin. Its normaliser, the whole pair's uplift, makes it unbounded when that is small."""
    order = pd.Series(np.asarray(score)).sort_values(ascending=False).index.to_numpy()
    y, t = np.asarray(y, dtype="float64")[order], np.asarray(t, dtype="float64")[order]
    k = np.arange(1, len(y) + 1)
    n_t = np.cumsum(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.cumsum(y * t) / n_t - np.cumsum(y * (1 - t)) / (k - n_t)
    lift = pd.Series(np.r_[0.0, lift]).replace([np.inf, -np.inf], np.nan).interpolate()
    gain = lift.to_numpy() * np.r_[0, k]
    return float(np.mean(gain / abs(gain[-1])))


def _interval(values: np.ndarray) -> dict:
    low, high = np.quantile(values[1:], [0.025, 0.975])
    return {
        "value": round(float(values[0]), 4),
        "low": round(float(low), 4),
        "high": round(float(high), 4),
    }


def auuc_table(y, t, scores: dict, resamples: int, seed: int, own: dict) -> dict:
    """AUUC of each method; ours_auto minus each causalml reference, paired bootstrap; and the
    like-with-like comparisons (``like``): both sides' best on the test rows, each rule's
    refitted pick against the best reference and against the references' mean (a reference
    picked without the test rows, blind), each reference against its counterpart of ours
    refitted on the same rows, and each reference against the best reference (what picking on
    the test rows is worth to causalml's own learners); causalml's own AUUC (``own``, checked
    against :func:`causalml_auuc`) of every method."""
    from churnlab.uplift import metrics

    rng = np.random.default_rng(seed)
    draws = [np.arange(len(y))] + [rng.integers(0, len(y), len(y)) for _ in range(resamples)]
    values = {
        k: np.array([metrics.auuc(y[r], s[r], t[r]) for r in draws]) for k, s in scores.items()
    }
    refs = [k for k in values if k.startswith("causalml_")]
    best = max(refs, key=lambda k: values[k][0])
    singles = [k for k in values if k.startswith("ours_") and k.endswith(BASES)]
    best_ours = max(singles, key=lambda k: values[k][0])
    mean_ref = np.mean([values[k] for k in refs], axis=0)
    diffs = {
        f"ours_auto_minus_{k}": values["ours_auto"] - values[k]
        for k in [*refs, "ours_valid", "ours_cv_single"]
    }
    like = {"ours_best_on_test_minus_best_reference": values[best_ours] - values[best]}
    for rule in ("ours_auto", "ours_auto_full", "ours_prefer", "ours_prefer_full"):
        like[f"{rule}_minus_best_reference"] = values[rule] - values[best]
        like[f"{rule}_minus_reference_mean"] = values[rule] - mean_ref
    for ref, ours in [*COUNTERPARTS.items(), *DEFAULTS_COUNTERPARTS.items()]:
        like[f"{ours}_full_minus_{ref}"] = values[f"{ours}_full"] - values[ref]
    for ref in refs:  # a reference fixed in advance against the best one picked on the test rows
        like[f"{ref}_minus_best_reference"] = values[ref] - values[best]
    theirs = {k: causalml_auuc(y, t, s) for k, s in scores.items()}
    out = {"auuc": {k: round(float(v[0]), 4) for k, v in values.items()}, "best_reference": best}
    out |= {"best_ours_on_test": best_ours, "reference_mean_auuc": round(float(mean_ref[0]), 4)}
    out["ours_auto_minus"] = {
        k.removeprefix("ours_auto_minus_"): _interval(v) for k, v in diffs.items()
    }
    out["ours_auto_minus_best"] = out["ours_auto_minus"][best]  # what the docs' table reads
    out["like"] = {k: _interval(v) for k, v in like.items()}
    out["causalml_auuc"] = {k: round(v, 4) for k, v in theirs.items()}
    out["causalml_auuc_copy_error"] = max(abs(theirs[k] - own[k]) for k in refs)
    ranks = pd.DataFrame({"ours": out["auuc"], "causalml": theirs}).rank()
    out["metrics_rank_correlation"] = round(float(ranks.corr().iloc[0, 1]), 4)
    return out


def pooled(cells: list[dict]) -> dict:
    """One comparison over every treatment-draw: the mean difference, an approximate 95 %
    interval of that mean (each cell's standard error read off its percentile interval,
    (high − low) / 3.92, the cells taken as independent: the treatments of one draw share its
    control rows, so the interval is if anything too narrow), and the counts."""
    values = np.array([c["value"] for c in cells])
    se = np.sqrt(np.sum(((np.array([c["high"] - c["low"] for c in cells])) / 3.92) ** 2))
    mean, half = float(values.mean()), 1.96 * float(se) / len(cells)
    return {
        "mean": round(mean, 4),
        "mean_low": round(mean - half, 4),
        "mean_high": round(mean + half, 4),
        "at_least_zero": int(sum(values >= 0)),
        "interval_above_zero": sum(c["low"] > 0 for c in cells),
        "interval_below_zero": sum(c["high"] < 0 for c in cells),
        "of": len(cells),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("side", nargs="?", default="compare", choices=["compare", "causalml"])
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[DOCUMENTED_SEED, 1, 2, 3, 4])
    parser.add_argument("--python", default="/work/causalml-venv/bin/python")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--folds", type=int, default=3, help="the `auto` rule's CV folds")
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
        args.average_top = default.cv_average_top if args.average_top is None else args.average_top
        cv = (args.folds, args.average_top)
        results = {}
        for seed in args.seeds:  # each draw's figures kept in the folder (a rerun resumes)
            done = folder / f"compare_{seed}_{args.resamples}_{args.folds}_{args.average_top}.json"
            if not done.exists():
                done.write_text(json.dumps(compare(folder, seed, args.resamples, cv)))
            results[str(seed)] = json.loads(done.read_text())
    cells = [r[t] for r in results.values() for t in TREATMENTS]
    summary = {k: pooled([c["like"][k] for c in cells]) for k in cells[0]["like"]}
    out = {
        "summary_like_with_like": summary,
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
