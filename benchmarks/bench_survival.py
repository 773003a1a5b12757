"""Time to churn against its references over several split seeds, with paired intervals.

The survival stage reports one split. Here the prepared synthetic customers of the default
``dvc repro`` (``data/prepared``) are split again with each split seed (the project's keyed
split, ``split.seed`` replaced), featurized on that seed's train customers, and given the
classifier of ``train.model`` (trained as the train stage trains it) and the survival models
(``survival.model`` first, the headline; ``--models`` adds the baselines). On each seed's test
customers, three paired differences (both sides scored on the same bootstrap resamples):

- ``concordance_minus_oracle``: Harrell's concordance of the model minus that of the oracle,
  which ranks by each customer's true churn probability (of the campaign arm they were in);
- ``ibs_minus_km``: the integrated Brier score minus that of the Kaplan-Meier curve of the
  train customers (the same curve for everybody);
- ``window_auc_minus_classifier``: the ROC-AUC of the survival model's probability of churning
  within ``data.churn_window_days`` for the churn label, minus the classifier's ROC-AUC;
- ``concordance_with_minus_without_offer``: the headline's concordance (blended with
  ``survival.uplift_blend``) minus that of the plain model fitted without the past offer flag
  (``survival.offer_covariate``; the classifier never reads it);
- ``concordance_blend_minus_plain``: ``xgb_cox`` blended with the uplift learner's own-arm
  log-odds (:mod:`churnlab.survival.blend`; the learner ``uplift.learner``, or
  ``uplift.prefer`` for ``auto``, fitted on the seed's train customers as the uplift stage fits
  it, the weight chosen on valid) minus the plain Cox margin, whatever
  ``survival.uplift_blend`` makes the headline.

Where the gap to the oracle comes from: each arm's concordance and oracle concordance
(``untreated_*``, ``treated_*`` under ``reference``).

Per seed: the difference and its 95 % percentile interval. Pooled: the mean over seeds with
the interval of the mean (each seed's customers resampled independently, resample by
resample), and the smallest and largest seed. Every model's figures per seed go under
``figures``, their means over the seeds under ``means``. Writes
``benchmarks/results/survival.json`` with the machine load.

``--check-seeds``: further split seeds, never used to choose the model's settings, summarised
apart under ``check`` (their figures are under ``figures`` too, but not in ``means``).

Run from the repository root with the project venv, after ``dvc repro`` (for
``data/prepared``)::

    python benchmarks/bench_survival.py --seeds 0 1 2 --check-seeds 8 9 10
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params, load_params
from churnlab.data.splitting import split_customers
from churnlab.features import feature_frame
from churnlab.features.fit import featurize
from churnlab.features.impute import sparse_rows
from churnlab.modeling import training
from churnlab.modeling.registry import spec_for
from churnlab.survival import blend, scoring, sources
from churnlab.survival.models import fit_model
from churnlab.survival.offer import OFFER, with_offer
from churnlab.uplift import artifact as uplift_artifact
from churnlab.uplift import report as uplift_report

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "survival.json"
# (figure of paired_figures, name here, sign): the differences are reported model - reference.
DIFFERENCES = (
    ("gap_to_oracle", "concordance_minus_oracle", -1.0),
    ("brier_gain_over_km", "ibs_minus_km", -1.0),
    ("window_auc_minus_classifier", "window_auc_minus_classifier", 1.0),
    ("offer_gain", "concordance_with_minus_without_offer", 1.0),
    ("blend_gain", "concordance_blend_minus_plain", 1.0),
)


def seed_data(params: Params, prepared: pd.DataFrame, known: pd.DataFrame, truth, seed: int):
    """One split seed: features (with the past offer flag, as the survival stage gives them,
    ``survival.offer_covariate``), durations and labels of train/valid/test, aligned by row."""
    split = params.split.model_copy(update={"seed": seed})
    parts = split_customers(prepared, split, TARGET)
    # featurize leaves sparse train rows out of its matrix: leave them out of the durations too
    sparse = sparse_rows(feature_frame(parts["train"]), params.featurize.missing).to_numpy()
    parts["train"] = parts["train"][~sparse].reset_index(drop=True)
    schema = io.read_json(paths.SCHEMA) if paths.SCHEMA.exists() else None
    done = featurize(parts, params.featurize, params.data.snapshot_date, schema)
    out = {}
    for name, frame in parts.items():
        rows = known.reindex(frame["customer_key"])
        if rows["duration_days"].isna().any():
            raise RuntimeError(f"seed {seed}: {name} customers without a duration")
        X = done.matrices[name].drop(columns=[TARGET])
        X = with_offer(X, sources.offer_flags(params, frame, truth, "synthetic"))
        out[name] = (X, rows["duration_days"].to_numpy(), rows["churned_event"].to_numpy(bool))
        out[f"{name}_label"] = frame[TARGET].to_numpy()
        out[f"{name}_keys"] = frame["customer_key"]
    return out


def arm_concordance(test: tuple, risks: dict[str, np.ndarray], treated: np.ndarray) -> dict:
    """Each risk's concordance within the untreated and the treated customers (where the gap
    to the oracle comes from)."""
    out = {}
    for arm, rows in (("untreated", ~treated), ("treated", treated)):
        for name, risk in risks.items():
            out[f"{arm}_{name}"] = scoring.harrell(test[1][rows], test[2][rows], risk[rows])
    return out


def uplift_model(params: Params, data: dict, bare: list[tuple], truth: pd.DataFrame):
    """The uplift stage's learner fitted on the seed's train customers (early stopping on
    valid), as the saved uplift model the blend reads."""
    u = params.uplift
    name = u.prefer if u.learner == "auto" else u.learner
    train, valid = (
        uplift_report.Campaign(
            b[0],
            data[f"{n}_label"].astype(int),
            data[n][0][OFFER].to_numpy().astype(int),
            truth["propensity"].reindex(data[f"{n}_keys"]).to_numpy(),
        )
        for n, b in zip(("train", "valid"), bare[:2], strict=True)
    )
    base = spec_for(u.base_model, "uplift.base_model").make(params.train, train.churned)
    learner = uplift_report.fit_learners([name], base, train, valid, u.seed)[name]
    saved = uplift_artifact.bundle(learner, bare[0][0].columns, 0.0, 0.0, 0.0)
    return uplift_artifact.from_bundle(saved)


def one_seed(params: Params, data: dict, truth: pd.DataFrame, models: list[str], seed: int):
    """Figures of every model on one seed, and the headline's paired bootstrap draws."""
    p, window = params.survival, params.data.churn_window_days
    train, valid, test = data["train"], data["valid"], data["test"]
    bare = [(m[0].drop(columns=[OFFER], errors="ignore"), *m[1:]) for m in (train, valid, test)]
    # the classifier never reads the offer flag
    trained = training.train(
        params, bare[0][0], data["train_label"], bare[1][0], data["valid_label"]
    )
    classifier = trained.calibrated.predict_proba(bare[2][0])[:, 1]
    label = data["test_label"]
    known = truth.reindex(data["test_keys"])
    oracle, treated = known["churn_probability"].to_numpy(), known["treated"].to_numpy() == 1
    fitted = {name: fit_model(name, p, train, valid) for name in models}
    plain = fitted[models[0]].risk(test[0])
    mixed, chosen = fitted[models[0]], {"applied": False}
    if models[0] == "xgb_cox":
        mixed, chosen = blend.blended(mixed, uplift_model(params, data, bare, truth), train, valid)
    if p.uplift_blend:
        fitted[models[0]] = mixed
    figures = {}
    for name in models:
        result = scoring.model_figures(fitted[name], train, test, p, window)
        figures[name] = result["figures"] | {"window_auc": roc_auc_score(label, result["p"])}
        if name == models[0]:
            head = result
    blend_risk = mixed.risk(test[0])
    # the headline without the offer flag: what the covariate brings, on the same customers
    without = fit_model(models[0], p, bare[0], bare[1]).risk(bare[2][0])
    km = scoring.km_losses(train[1:], test[1:], head["grid"])
    figures["reference"] = {
        "oracle_concordance": scoring.harrell(test[1], test[2], oracle),
        "concordance_without_offer": scoring.harrell(test[1], test[2], without),
        "concordance_plain": scoring.harrell(test[1], test[2], plain),
        "concordance_blend": scoring.harrell(test[1], test[2], blend_risk),
        "blend_weight": chosen.get("weight", 0.0),
        **arm_concordance(
            test, {"concordance": head["risk"], "oracle_concordance": oracle}, treated
        ),
        "km_integrated_brier": float(km.mean()),
        "classifier_window_auc": roc_auc_score(label, classifier),
        "event_rate": float(test[2].mean()),
        "n_test": len(label),
    }
    paired = scoring.paired_figures(
        test[1:], head["risk"], oracle, head["losses"], km, label, head["p"], classifier
    )

    def with_offer_gain(weight: np.ndarray) -> dict[str, float]:
        out = paired(weight)
        out["offer_gain"] = out["concordance"] - scoring.harrell(*test[1:], without, weight)
        out["blend_gain"] = scoring.harrell(*test[1:], blend_risk, weight) - scoring.harrell(
            *test[1:], plain, weight
        )
        return out

    draws = scoring.bootstrap_draws(
        with_offer_gain, len(label), p.bootstrap_resamples, p.seed + seed
    )
    full = with_offer_gain(np.ones(len(label)))
    return figures, {new: (sign * full[old], sign * draws[old]) for old, new, sign in DIFFERENCES}


def summary(per_seed: dict[int, dict]) -> dict:
    """Per difference: each seed's value and interval, the mean over seeds and its interval."""
    out = {}
    for _, name, _ in DIFFERENCES:
        values = {seed: d[name] for seed, d in per_seed.items()}
        mean_draws = np.mean([draws for _, draws in values.values()], axis=0)
        points = [point for point, _ in values.values()]
        out[name] = {
            "per_seed": {
                str(seed): {"difference": point, "interval": scoring.interval(draws)}
                for seed, (point, draws) in values.items()
            },
            "mean": float(np.mean(points)),
            "interval_of_mean": scoring.interval(mean_draws),
            "range": [float(min(points)), float(max(points))],
        }
    return out


def model_means(figures: dict[str, dict]) -> dict:
    """Each model's figures averaged over the seeds (and the references', for the table)."""
    seeds = list(figures.values())
    return {
        name: {key: float(np.mean([f[name][key] for f in seeds])) for key in seeds[0][name]}
        for name in seeds[0]
    }


def summaries(per_seed: dict, figures: dict, seeds: list[int], check_seeds: list[int]) -> dict:
    """The differences and model means over ``seeds``; the differences over ``check_seeds``
    (never used to choose settings) apart, under ``check``."""
    if set(seeds) & set(check_seeds):
        raise SystemExit(f"--check-seeds must be new seeds, not among --seeds {seeds}")
    out = {
        "differences": summary({s: per_seed[s] for s in seeds}),
        "means": model_means({str(s): figures[str(s)] for s in seeds}),
        "check": None,
    }
    if check_seeds:
        check = summary({s: per_seed[s] for s in check_seeds})
        out["check"] = {"seeds": list(check_seeds), "differences": check}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--check-seeds",
        type=int,
        nargs="*",
        default=[],
        help="split seeds never used to choose settings: summarised apart, under check",
    )
    parser.add_argument("--models", nargs="*", default=[], help="baselines beside the headline")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    params = load_params()
    if params.data.source != "synthetic":
        raise SystemExit("bench_survival needs the synthetic data (oracle and follow-up)")
    models = [params.survival.model, *[m for m in args.models if m != params.survival.model]]
    load_before = [round(x, 2) for x in os.getloadavg()]
    prepared = io.read_table(paths.PREPARED)
    table, truth = sources.synthetic_durations(params)
    known, truth = sources.keyed(table), sources.keyed(truth)
    per_seed, figures = {}, {}
    for seed in [*args.seeds, *args.check_seeds]:
        data = seed_data(params, prepared, known, truth, seed)
        figures[str(seed)], per_seed[seed] = one_seed(params, data, truth, models, seed)
        print(f"seed {seed}: {figures[str(seed)]}", flush=True)
    result = {
        "seeds": args.seeds,
        "headline_model": models[0],
        "models": models,
        "bootstrap_resamples": params.survival.bootstrap_resamples,
        **summaries(per_seed, figures, args.seeds, args.check_seeds),
        "figures": figures,
        "n_customers": params.synthetic.n_customers,
        "campaign_share": params.synthetic.campaign_share,
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    io.write_json(result, OUT)
    return result


if __name__ == "__main__":
    main()
