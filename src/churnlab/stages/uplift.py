"""Stage uplift: learn from a past campaign who an offer persuades, and price the decision.

Reads the featurized splits, the campaign (synthetic: the truth table; user data: the
``uplift.treatment`` / ``uplift.propensity`` columns of the split tables, checked before
anything is written) and the churn pipeline (for today's risk policy); fits the candidate
learners (:mod:`churnlab.uplift.report`), keeps ``uplift.prefer`` unless another learner's
validation Qini is better beyond its noise (or the best Qini on validation without a preferred
learner; with ``uplift.cv_folds``, the best cross-validated Qini on train:
:mod:`churnlab.uplift.selection`),
and writes
``metrics/uplift.json``, the curves and deciles under ``plots/uplift/`` and the learner, its
columns and the decision's money to ``models/uplift.skops``, which the scorer loads beside the
churn model (:mod:`churnlab.uplift.artifact`; ``{"skipped": reason}`` when the stage does not
apply, so no stale learner is served).
"""

from __future__ import annotations

import logging
import shutil

import pandas as pd

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.errors import UserError
from churnlab.features import feature_frame
from churnlab.features.fit import featurized_rows
from churnlab.modeling.registry import spec_for
from churnlab.uplift import artifact, campaign_data, metrics, policy, report, selection
from churnlab.uplift import base as base_settings

log = logging.getLogger(__name__)

METRICS = paths.METRICS / "uplift.json"
PLOTS = paths.PLOTS / "uplift"
MODEL = paths.UPLIFT_MODEL


def _without(features: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The feature matrix without the columns the featurizer derived from ``columns``."""
    drop = [c for c in features.columns if any(c.split("__")[-1].startswith(x) for x in columns)]
    return features.drop(columns=drop)


def read_campaign(params: Params, name: str, truth: pd.DataFrame | None) -> report.Campaign:
    # the split's rows in the feature matrix's order (featurize leaves sparse train rows out)
    table = featurized_rows(io.read_table(paths.SPLIT / f"{name}.parquet"), name, params.featurize)
    features = io.read_table(paths.FEATURES / f"{name}.parquet").drop(columns=[TARGET])
    churned = table[TARGET].to_numpy().astype(int)
    u = params.uplift
    if truth is not None:
        rows = truth.loc[table["customer_key"]]
        return report.Campaign(
            features,
            churned,
            rows["treated"].to_numpy().astype(int),
            rows["propensity"].to_numpy(),
            rows["true_uplift"].to_numpy(),
            table["customer_key"].to_numpy(),
        )
    source = str(paths.SPLIT / f"{name}.parquet")
    flags = campaign_data.treatment_flags(table, u.treatment, u.treated_value, source)
    e = campaign_data.propensities(table, u.propensity, flags, source)
    X = _without(features, [c for c in (u.treatment, u.propensity) if c])
    return report.Campaign(X, churned, flags, e, keys=table["customer_key"].to_numpy())


def _truth(params: Params) -> pd.DataFrame | None:
    if params.data.source != "synthetic":
        return None
    truth = io.read_table(paths.TRUTH).set_index("customer_key")
    if "treated" not in truth.columns:
        raise UserError(
            "the synthetic data has no past campaign: set synthetic.campaign_share > 0 "
            "(or uplift.enabled: false)"
        )
    return truth


def skip(reason: str, enabled: bool = True) -> None:
    """Outputs that say the stage does not apply to this data or is switched off
    (``enabled`` False): DVC needs every declared output, ``plots/uplift`` included."""
    (log.warning if enabled else log.info)("uplift skipped: %s", reason)
    shutil.rmtree(PLOTS, ignore_errors=True)  # no figure of an earlier run stays
    io.write_text(f"uplift skipped: {reason}\n", PLOTS / "SKIPPED.md")
    package.save(artifact.skipped(reason), MODEL)
    io.write_json({"enabled": True, "skipped": reason} if enabled else {"enabled": False}, METRICS)


def main(params: Params) -> None:
    u, b = params.uplift, params.business
    if not u.enabled:
        skip("uplift.enabled is false", enabled=False)
        return
    if params.data.source != "synthetic":
        columns = io.read_table(paths.SPLIT / "train.parquet").columns
        if u.treatment not in columns:
            skip(f"the data has no treatment column {u.treatment!r} (uplift.treatment)")
            return
    spec = spec_for(u.base_model, "uplift.base_model")
    if not spec.uses_features:
        raise UserError(f"uplift.base_model: {u.base_model} does not learn from features")
    truth = _truth(params)
    train, valid, test = (read_campaign(params, n, truth) for n in paths.SPLIT_NAMES)
    smd = campaign_data.balance(train.X, train.treatment)
    if campaign_data.imbalanced(smd):
        log.warning("treated and control differ (|SMD| > 0.1): %s", campaign_data.imbalanced(smd))
    base = base_settings.with_params(spec.make(params.train, train.churned), u.base_params)
    fitted = report.fit_learners(u.candidates, base, train, valid, u.seed)
    if u.learner != "auto" and u.learner not in fitted:
        fitted |= report.fit_learners([u.learner], base, train, valid, u.seed)
    cv = {}
    if u.learner == "auto" and u.cv_folds:
        cv = selection.cross_validate(
            lambda names, part: report.fit_learners(names, base, part, valid, u.seed),
            u.candidates, train, u.cv_folds, u.seed, u.cv_average_top,
        )  # fmt: skip
        if selection.AVERAGE in cv:
            members = [fitted[n] for n in cv[selection.AVERAGE]["members"]]
            fitted[selection.AVERAGE] = selection.AverageLearner(members).fit()
    ev = params.evaluate
    on_valid = report.predict_all(fitted, valid.X)  # once: both rules below read it
    chosen, valid_qini = report.choose(on_valid, valid, u.learner)
    chosen = selection.best(cv) if cv else chosen
    rule = (
        f"cv ({u.cv_folds} folds of train)" if cv else ("valid" if u.learner == "auto" else "fixed")
    )
    versus = {}  # each candidate's validation Qini minus the preferred one's
    if rule == "valid" and u.prefer in u.candidates:
        chosen, versus = selection.preferred(
            valid.stayed, valid.treatment, on_valid, u.prefer, u.bootstrap_resamples, u.seed,
            ev.confidence,
        )  # fmt: skip
        rule = f"valid, {u.prefer} unless beaten"
    scores = report.predict_all(fitted, test.X)
    score = scores[chosen]
    result = report.headline(score, test, u.bootstrap_resamples, u.seed, ev.confidence)
    table = io.read_table(paths.SPLIT / "test.parquet")
    risk = package.load(paths.PIPELINE).predict_proba(feature_frame(table))[:, 1]
    cost = b.offer_cost if u.offer_cost is None else u.offer_cost
    budget = b.contact_budget_share if u.contact_budget_share is None else u.contact_budget_share
    value = b.retained_customer_value
    contacts = policy.policies(score, risk, value, cost, budget)
    ipw = policy.ipw_uplift(test.stayed, test.treatment, test.propensity)
    args = (value, cost, u.bootstrap_resamples, u.seed, ev.confidence)
    estimated = policy.compare(contacts, ipw, value, cost, *args[2:])
    exact = None if test.true_uplift is None else policy.compare(contacts, test.true_uplift, *args)
    money = exact or estimated
    result |= {
        "enabled": True,
        "learner": chosen,
        "selection": rule,
        "base_model": u.base_model,
        "learners": {
            name: {
                "valid_qini": q,
                **({"cv_qini": cv[name]} if name in cv else {}),
                **({"valid_minus_preferred": versus[name]} if name in versus else {}),
                **metrics.summary(test.stayed, scores[name], test.treatment),
            }
            for name, q in valid_qini.items()
        },
        "balance_smd": smd,
        "policy": {"exact": exact, "ipw": estimated, "offer_cost": cost, "budget_share": budget},
        "policy_net_gain": money["uplift"]["net_gain"],
        "risk_policy_net_gain": money["risk"]["net_gain"],
        "contacted": money["uplift"]["contacted"],
    }
    plot_scores = {"model": score} | (
        {} if test.true_uplift is None else {"oracle": test.true_uplift}
    )
    PLOTS.mkdir(parents=True, exist_ok=True)
    for kind, frame in report.curves(plot_scores, test).items():
        io.write_csv(frame, PLOTS / f"{kind}.csv")
    io.write_csv(report.deciles(score, test), PLOTS / "deciles.csv")
    package.save(artifact.bundle(fitted[chosen], test.X.columns, value, cost, budget), MODEL)
    io.write_json(result, METRICS)
    log.info(
        "uplift: %s learner, Qini %.4f; policy net gain %.0f vs risk %.0f",
        chosen,
        result["qini"],
        result["policy_net_gain"],
        result["risk_policy_net_gain"],
    )
