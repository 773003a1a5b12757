"""Stage survival: time to churn, its models and metrics, and the value at risk per customer.

Durations come from the synthetic generator's follow-up or the user's closures and event log
(:mod:`churnlab.survival.sources`). The models of ``survival.model`` and ``survival.baselines``
are fitted on the train split's features (early stopping on valid; the headline ``xgb_cox``
blended with the uplift stage's learner when ``survival.uplift_blend`` asks and there is a
campaign, :mod:`churnlab.survival.blend`) and scored on test:
Harrell's and Uno's concordance, integrated Brier score against Kaplan-Meier, time-dependent
AUC, the label-window churn probability's ROC-AUC beside the classifier's, bootstrap
intervals and on synthetic data the oracle concordance of the true churn probability. Writes
``metrics/survival.json``, ``plots/survival/``, ``reports/survival_call_list.csv`` (the
customers with the highest value at risk) and ``models/survival.skops``, the model the scorer
loads beside the churn model (:mod:`churnlab.survival.artifact`).
"""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.evaluation import business
from churnlab.features import feature_frame
from churnlab.features.fit import featurized_rows
from churnlab.modeling.inputs import inputs
from churnlab.survival import artifact, blend, crossval, curves, plots, policies, scoring, sources
from churnlab.survival.models import fit_model
from churnlab.survival.offer import OFFER, with_offer
from churnlab.uplift import artifact as uplift_artifact

log = logging.getLogger(__name__)

MODEL = paths.SURVIVAL_MODEL


def split_targets(params: Params) -> tuple[dict, pd.Series | None]:
    """Per split: ``(X, duration, event)``, X with the past offer flag when there is one
    (:func:`churnlab.survival.sources.offer_flags`); and the true churn probability by key
    (or None)."""
    truth = None
    if params.data.source == "synthetic":
        table, raw_truth = sources.synthetic_durations(params)
        truth = sources.keyed(raw_truth)
    else:
        table = sources.user_durations(params)
    known = sources.keyed(table)
    data = {}
    for name in paths.SPLIT_NAMES:
        source = paths.SPLIT / f"{name}.parquet"
        split = featurized_rows(io.read_table(source), name, params.featurize)
        rows = known.reindex(split["customer_key"])
        if rows["duration_days"].isna().any():
            missing = int(rows["duration_days"].isna().sum())
            raise RuntimeError(f"{missing} {name} customers have no duration")
        X, _ = inputs(params, name, True)
        X = with_offer(X, sources.offer_flags(params, split, truth, str(source)))
        data[name] = (X, rows["duration_days"].to_numpy(), rows["churned_event"].to_numpy(bool))
    return data, None if truth is None else truth["churn_probability"]


def classifier_scores(test_keys: pd.Series) -> np.ndarray | None:
    """The trained classifier's churn probability of the test customers (None without one)."""
    if not paths.PIPELINE.exists():
        return None
    test = io.read_table(paths.SPLIT / "test.parquet")
    if not test["customer_key"].equals(test_keys):
        return None
    return package.load(paths.PIPELINE).predict_proba(feature_frame(test))[:, 1]


def campaign(table: pd.DataFrame, test: tuple, classifier, p, b) -> dict:
    """The realized value each contact policy saves on the test customers (churn within the
    value horizon observed), value at risk against churn probability
    (:mod:`churnlab.survival.policies`)."""
    horizon = min(p.value_horizon_days, p.follow_up_days)
    churned = test[2] & (test[1] <= horizon)
    if classifier is not None:
        probability, source = classifier, "classifier"
    else:
        probability, source = table["value_horizon_churn_probability"], "survival model"
    out = policies.compare(
        table["value"],
        table["value_at_risk"],
        probability,
        churned,
        b,
        p.bootstrap_resamples,
        p.seed,
    )
    return out | {"churned_within_days": horizon, "probability_from": source}


def cv_figures(params: Params, data: dict, models: list[str]) -> dict:
    """Each model cross-validated on the classifiers' folds of the train customers
    (:mod:`churnlab.survival.crossval`)."""
    split = io.read_table(paths.SPLIT / "train.parquet")
    scheme, by_key = crossval.classifier_folds(split, params)
    keys = featurized_rows(split, "train", params.featurize)["customer_key"]
    fold = by_key.reindex(keys).to_numpy()
    out = {"scheme": scheme, "folds": params.cv.folds, "seed": params.cv.seed}
    for name in models:
        log.info("cross-validating the survival model %s", name)
        out[name] = crossval.cross_validate(
            name, params, data["train"], data["valid"], scheme, fold
        )
    return out


def headline_model(params: Params, train: tuple, valid: tuple):
    """The headline model fitted on train, blended with the uplift learner's own-arm log-odds
    when ``survival.uplift_blend`` asks and the data allows it (:mod:`churnlab.survival.blend`);
    with what was done (None when no blend was asked)."""
    p = params.survival
    log.info("fitting the survival model %s", p.model)
    model = fit_model(p.model, p, train, valid)
    if not (p.uplift_blend and p.model == "xgb_cox"):
        return model, None
    uplift = uplift_artifact.load(paths.UPLIFT_MODEL, [str(c) for c in train[0].columns])
    return blend.blended(model, uplift, train, valid)


def skip(reason: str) -> None:
    """Outputs that say the stage does not apply to this data (DVC needs every output):
    the reason in ``metrics/survival.json`` and the plots folder, an empty call list."""
    log.warning("survival skipped: %s", reason)
    io.write_json({"skipped": reason}, paths.METRICS / "survival.json")
    io.write_csv(pd.DataFrame({"customer_key": []}), paths.REPORTS / "survival_call_list.csv")
    folder = paths.PLOTS / "survival"
    shutil.rmtree(folder, ignore_errors=True)  # no figure of an earlier run stays
    io.write_text(f"survival skipped: {reason}\n", folder / "SKIPPED.md")
    package.save(artifact.skipped(reason), MODEL)


def main(params: Params) -> None:
    p, b, window = params.survival, params.business, params.data.churn_window_days
    d = params.data
    if d.source != "synthetic" and not d.events.path and not d.customers.closed:
        skip(
            "the data has no timestamps: set data.customers.closed (a closure date column) "
            "and/or data.events (an event log) for time to churn"
        )
        return
    data, oracle = split_targets(params)
    train, test = data["train"], data["test"]
    split_test = io.read_table(paths.SPLIT / "test.parquet")
    results, fitted = {}, {}
    fitted[p.model], blended = headline_model(params, train, data["valid"])
    for name in [p.model, *p.baselines]:
        if name not in fitted:
            log.info("fitting the survival model %s", name)
            fitted[name] = fit_model(name, p, train, data["valid"])
        results[name] = scoring.model_figures(fitted[name], train, test, p, window)
    head = results[p.model]
    km_losses = scoring.km_losses(train[1:], test[1:], head["grid"])
    label = split_test[TARGET].to_numpy()
    classifier = classifier_scores(split_test["customer_key"])
    truth = None if oracle is None else oracle.reindex(split_test["customer_key"]).to_numpy()
    out = dict(head["figures"])
    out |= {"model": p.model, "n_test": len(label), "event_rate": float(test[2].mean())}
    out["km_integrated_brier"] = float(km_losses.mean())
    out["window_auc"] = float(roc_auc_score(label, head["p"]))
    if classifier is not None:
        out["classifier_window_auc"] = float(roc_auc_score(label, classifier))
    if truth is not None:
        out["oracle_concordance"] = scoring.harrell(test[1], test[2], truth)
    figures = scoring.paired_figures(
        test[1:], head["risk"], truth, head["losses"], km_losses, label, head["p"], classifier
    )
    out["intervals"] = scoring.bootstrap(figures, len(label), p.bootstrap_resamples, p.seed)
    out["models"] = {name: r["figures"] for name, r in results.items()}
    if blended is not None:
        out["uplift_blend"] = blended
    if p.cross_validate:
        out["cv"] = cv_figures(params, data, list(results))

    follow_up = p.follow_up_days if params.data.source == "synthetic" else int(test[1].max())
    table = curves.customer_table(
        fitted[p.model],
        test[0],
        follow_up,
        p.horizons_days,
        p.value_horizon_days,
        curves.margins(split_test, p.value),
        p.value,
    )
    table.insert(0, "customer_key", split_test["customer_key"].to_numpy())
    named = params.report.value_column
    column = split_test[named] if named and named in split_test else None
    chosen = business.customer_value(b, len(table), column, named, table["value"])
    table = curves.revalued(table, chosen.values)
    out["value"] = {
        "from": chosen.source,
        "total": float(table["value"].sum()),
        "at_risk": float(table["value_at_risk"].sum()),
        "saved": curves.saved_value(table, b),
        "currency": b.currency,
        "campaign": campaign(table, test, classifier, p, b),
    }
    io.write_json(out, paths.METRICS / "survival.json")
    u = params.uplift
    offer = {"column": u.treatment, "treated_value": u.treated_value}
    offer = offer if OFFER in test[0].columns else None
    saved = artifact.bundle(p.model, fitted[p.model], test[0].columns, p, follow_up, offer)
    package.save(saved, MODEL)
    top = table.sort_values("value_at_risk", ascending=False, kind="stable")
    io.write_csv(top.head(params.evaluate.top_customers), paths.REPORTS / "survival_call_list.csv")
    segment = split_test.get(p.segment, pd.Series("all", index=split_test.index))
    plots.write(
        paths.PLOTS / "survival",
        plots.km_frame(test[1], test[2], segment),
        plots.decile_frame(test[1], test[2], 1.0 - head["p"], window),
        p.segment,
        window,
    )
    log.info(
        "survival %s: concordance %.4f (oracle %s), integrated Brier %.4f (Kaplan-Meier %.4f)",
        p.model,
        out["concordance"],
        f"{out['oracle_concordance']:.4f}" if truth is not None else "n/a",
        out["integrated_brier"],
        out["km_integrated_brier"],
    )
