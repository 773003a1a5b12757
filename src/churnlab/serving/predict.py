"""``churnlab predict CUSTOMERS_FILE``: who to call this week, and why.

Scores every customer of a file (the user's current customers, not the test split) with the
packaged model and writes, into one folder:

- ``predictions.csv``: per customer in file order, the original id, churn probability, risk
  tier, value, expected value at risk (probability × value), the top reasons in words and the
  suggested action (:mod:`churnlab.evaluation.reasons`); with the uplift model saved beside
  the churn model, the uplift and the policy's recommended action over the whole file (budget
  included); with the survival model, the churn probability within each horizon, the median
  days to churn and the lifetime value, and the value at risk uses the probability within the
  value horizon (and the lifetime value when no value column is given);
- ``call_list.csv``: the contact budget (``business.contact_budget_share`` of the scored
  customers), highest expected value at risk first (``serve.call_list_order``); its
  ``contact`` column is the decision (:func:`decide`): worth a call when offer acceptance ×
  expected value at risk − offer cost > 0 (``expected_net_gain``), as in ``predictions.csv``;
- ``rejected.csv``: the rows that could not be scored, with the reason;
- ``report.html``: the self-contained report of this file (:mod:`churnlab.evaluation.report_pages`)
  and its two figures as PNG.

Everything is computed before the first file is written, so a bad input (a missing column, an
empty file, more rejected rows than ``--accept-rejected`` allows) leaves earlier results as
they were. The file is read in one place, :func:`read_customers`: the reader of ``churnlab
score`` and the conversions prepare recorded (:func:`churnlab.data.conversions.replay`).
About 380 lines: one command's reading, scoring and outputs (with the uplift and survival
columns), kept in one file so that "compute everything, then write" stays visible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from churnlab import io
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.data.conversions import Replayed
from churnlab.data.input_contract import ID_COLUMN
from churnlab.errors import UserError
from churnlab.evaluation import business, explain, plots, reasons, report_pages
from churnlab.serving.batch import read_table
from churnlab.serving.scorer import Scorer

log = logging.getLogger(__name__)

SHOWN_REJECTS = 10  # rejected rows named in the error message


@dataclass(frozen=True)
class Customers:
    """A customers file as the model reads it, and what it carries besides."""

    replayed: Replayed  # the model's inputs, converted as in training, and the rejected rows
    ids: pd.Series  # the original id of each row, as text
    id_column: str  # its name in the file ("row" when the file has none)
    extra: pd.DataFrame  # the file's columns the model does not read (a value column, ...)


def model_columns(scorer: Scorer) -> set[str]:
    """The columns :func:`~churnlab.data.conversions.replay` accepts for this model (its
    inputs, and the id, target and dropped columns of a user table)."""
    record = scorer.conversions or {}
    if not scorer.raw_inputs:
        return {*scorer.schema, ID_COLUMN, TARGET}
    dropped = [c for c, e in record["columns"].items() if e["type"] == "drop"]
    label = (record.get("label") or {}).get("column")
    return {*record["parse"], *dropped, record.get("id"), label} - {None}


def read_customers(path: Path, scorer: Scorer, id_column: str) -> Customers:
    """Read a CSV or Parquet customers file as ``churnlab score`` reads it.

    The one reader of user files (:func:`churnlab.serving.batch.read_table`: every CSV cell
    as text, the dialect sniffed as in training) and the one conversion
    (:meth:`Scorer.inputs`, the conversions prepare recorded). Columns the model does not
    read (a value column, notes) are kept aside. The id passed through is the model's id
    column (``data.id`` of training, or ``customer_key``), else ``id_column`` (params
    ``data.id``) when the file has it, else the row number.
    """
    raw = read_table(path, scorer.serve.chunk_rows)
    raw = raw.rename(columns=lambda c: str(c).strip())
    accepted = model_columns(scorer)
    kept = [c for c in raw.columns if c in accepted]
    try:
        replayed = scorer.inputs(raw[kept])
    except UserError as exc:  # columns missing: the file as a whole does not fit
        raise UserError(f"{path}: {exc}") from None
    if replayed.ids is not None:
        found, ids = replayed.id_column, replayed.ids
    elif id_column and id_column in raw:
        found, ids = id_column, raw[id_column]
    else:
        found, ids = "row", pd.Series(np.arange(1, len(raw) + 1))
    extra = raw.drop(columns=kept)
    return Customers(replayed, ids.astype("string").reset_index(drop=True), found, extra)


def value_column_values(customers: Customers, column: str, where: str = "") -> pd.Series | None:
    """The value ``column`` of the file as numbers (None when no column is named), checked as
    evaluate checks it (:func:`churnlab.evaluation.business.checked_value_column`: text or a
    negative value stops the command before anything is written; a blank cell gets the flat
    value); which value then applies is :func:`churnlab.evaluation.business.customer_value`."""
    if not column:
        return None
    features = customers.replayed.features
    source = customers.extra if column in customers.extra else features
    if column not in source:
        raise UserError(
            f"value column {column!r} is not in the customers file; columns: "
            f"{sorted([*features.columns, *customers.extra.columns])}"
        )
    return business.checked_value_column(source[column], column, where or "customers file")


def unseen_notes(unseen: dict[str, dict[str, int]]) -> list[str]:
    """Sentences naming category values the model never saw in training (scored anyway)."""
    notes = []
    for column, counts in unseen.items():
        shown = ", ".join(repr(v) for v in sorted(counts)[:5])
        notes.append(
            f"{column}: {sum(counts.values()):,} rows with values not seen in training "
            f"({shown}); scored like the rare categories of training."
        )
    return notes


def as_missing_notes(as_missing: dict[str, int]) -> list[str]:
    """Unreadable values counted as missing, because training read such values so."""
    return [
        f"{column}: {count:,} unreadable values read as missing, as in training."
        for column, count in as_missing.items()
    ]


def missing_facts(frame: pd.DataFrame) -> list[str]:
    shares = frame.isna().mean()
    shares = shares[shares > 0].sort_values(ascending=False).head(8)
    text = ", ".join(f"{c} {s:.1%}" for c, s in shares.items()) or "none"
    return [f"Missing shares: {text}."]


def reject_message(path: Path, customers: Customers, errors: pd.Series, accept: float) -> str:
    bad = np.flatnonzero(errors.notna().to_numpy())
    rows = [
        f"row {i + 1} ({customers.id_column} {customers.ids.iloc[i]}): {errors.iloc[i]}"
        for i in bad[:SHOWN_REJECTS]
    ]
    return (
        f"{path}: {len(bad):,} of {len(errors):,} rows cannot be scored (more than "
        f"--accept-rejected {accept:.0%}); nothing was written.\n  "
        + "\n  ".join(rows)
        + ("\n  ..." if len(bad) > SHOWN_REJECTS else "")
        + "\nFix these rows, or pass --accept-rejected SHARE to score the others and list "
        "these in rejected.csv."
    )


def _contributions(scorer: Scorer, clean: pd.DataFrame) -> pd.DataFrame | None:
    try:
        return explain.model_contributions(
            scorer.pipeline.named_steps["model"], scorer.features(clean)
        )[0]
    except NotImplementedError as exc:  # tree, forest, ...: scores without reasons
        log.warning("no reasons: %s", exc)
        return None


def explained(
    scorer: Scorer, clean: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reasons and suggested action per customer, the drivers of these customers)."""
    k = params.evaluate.reasons_per_customer
    contribs = _contributions(scorer, clean)
    if contribs is None:
        empty = pd.DataFrame({f"reason_{j + 1}": "" for j in range(k)}, index=clean.index)
        empty["reason_family"], empty["suggested_action"] = "", params.actions.default
        return empty, reasons.no_drivers()
    contribs = contribs.set_axis(clean.index)
    pipeline = scorer.pipeline
    found = reasons.explain_customers(pipeline, clean, contribs, k, params.report, params.actions)
    fmap = reasons.fold_map(pipeline, list(contribs.columns))
    drivers = reasons.drivers(contribs, fmap, reasons.values_frame(pipeline, clean), 10)
    return found, drivers


OUTLOOK = (  # the uplift and survival columns of predictions.csv, when those models are saved
    "uplift",
    "recommended_action",
    "median_days_to_churn",
    "value_horizon_churn_probability",
    "customer_lifetime_value",
)


def predictions_frame(
    customers: Customers,
    ok: np.ndarray,
    scored: pd.DataFrame,
    values: np.ndarray,
    why: pd.DataFrame,
    scorer: Scorer | None = None,
) -> pd.DataFrame:
    """One row per scored customer; the value at risk is the churn probability (within the
    value horizon when the survival model is saved) × the customer's value. The uplift
    policy's action is decided over the whole file (its budget) with these values."""
    probability = scored["churn_probability"].to_numpy()
    at_risk = scored.get("value_horizon_churn_probability", scored["churn_probability"])
    frame = pd.DataFrame(
        {
            customers.id_column: customers.ids.to_numpy()[ok],
            "churn_probability": np.round(probability, 6),
            "risk_tier": scored["risk_tier"].to_numpy(),
            "customer_value": values[ok],
            "expected_value_at_risk": np.round(at_risk.to_numpy() * values[ok], 2),
        }
    )
    for column in [c for c in scored.columns if c.startswith("p_churn_")] + list(OUTLOOK):
        if column in scored:
            frame[column] = scored[column].to_numpy()
    if scorer is not None and scorer.uplift is not None:
        uplift = scored["uplift"].to_numpy()
        frame["recommended_action"] = scorer.uplift.actions(uplift, values[ok])
        frame["uplift_net_gain"] = np.round(uplift * values[ok] - scorer.uplift.offer_cost, 2)
    for column in why.columns.drop("reason_family"):
        frame[column] = why[column].to_numpy()
    return frame


def call_order(predictions: pd.DataFrame, order: str) -> str:
    """The column the call list ranks by (``serve.call_list_order``; value at risk when the
    uplift order is asked for without an uplift model)."""
    if order == "probability":
        return "churn_probability"
    if order == "uplift" and "uplift_net_gain" in predictions:
        return "uplift_net_gain"
    return "expected_value_at_risk"


def decide(predictions: pd.DataFrame, b, order: str = "value_at_risk") -> pd.DataFrame:
    """The contact decision of each customer, over the whole file: ``expected_net_gain``
    (offer acceptance × expected value at risk − offer cost; the uplift policy's net gain for
    the uplift order) and ``contact``: among the contact budget's first customers in call
    order, those with a positive gain (:func:`churnlab.evaluation.business.contact_decision`,
    the rule the survival stage measures on the test split)."""
    key = call_order(predictions, order)
    if key == "uplift_net_gain":
        gain = predictions["uplift_net_gain"].to_numpy()
    else:
        gain = business.expected_net_gain(predictions["expected_value_at_risk"], b)
    out = predictions.copy()
    out["expected_net_gain"] = np.round(gain, 2)
    out["contact"] = business.contact_decision(predictions[key].to_numpy(), gain, b)
    return out


def call_list(predictions: pd.DataFrame, b, order: str = "value_at_risk") -> pd.DataFrame:
    """The contact budget's customers, highest expected value at risk (or ``order``) first
    (file order on ties), ranked from 1."""
    k = business.budget_contacts(len(predictions), b)
    key = call_order(predictions, order)
    ranked = predictions.sort_values(key, ascending=False, kind="stable")
    out = ranked.head(k).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def campaign_figures(predictions: pd.DataFrame, b, folder: Path) -> report_pages.Figures:
    """Expected net savings and gains of calling the customers in call-list order."""
    at_risk = predictions.get("value_horizon_churn_probability", predictions["churn_probability"])
    curve = business.expected_campaign(
        at_risk.to_numpy(), predictions["customer_value"].to_numpy(), b
    )
    budget = business.budget_contacts(len(predictions), b)
    plots.expected_savings_png(curve, budget, b.currency, folder / "expected_savings.png")
    plots.expected_gains_png(curve, budget, folder / "expected_gains.png")
    return report_pages.Figures(
        (
            (folder / "expected_savings.png").read_bytes(),
            "Expected net savings by customers called",
        ),
        ((folder / "expected_gains.png").read_bytes(), "Expected share of churners reached"),
    )


def campaign_savings(calls: pd.DataFrame, b) -> float:
    """Expected net savings of calling ``calls``: value kept minus the cost of the calls."""
    kept = float(calls["expected_value_at_risk"].sum()) * b.offer_acceptance_rate
    return kept - len(calls) * b.offer_cost


def score_customers(
    scorer: Scorer, source: Path, params: Params, value_column: str, accept_rejected: float
) -> tuple[report_pages.Scored, pd.DataFrame]:
    """Everything ``churnlab predict`` reports on ``source``, and the drivers; writes nothing."""
    customers = read_customers(source, scorer, params.data.id)
    replayed = customers.replayed
    clean, errors, ok = replayed.features, replayed.errors, replayed.ok
    if (~ok).mean() > accept_rejected:
        raise UserError(reject_message(source, customers, errors, accept_rejected))
    if not ok.any():
        raise UserError(f"{source}: no row can be scored")
    facts = [*missing_facts(clean), *unseen_notes(replayed.unseen)]
    facts += as_missing_notes(replayed.as_missing)
    clean = clean[ok]
    scored_rows = scorer.score_valid(clean)
    lifetime = None
    if "customer_lifetime_value" in scored_rows:
        lifetime = np.full(len(ok), np.nan)
        lifetime[ok] = scored_rows["customer_lifetime_value"].to_numpy()
    chosen = business.customer_value(
        params.business,
        len(ok),
        value_column_values(customers, value_column, str(source)),
        value_column,
        lifetime,
    )
    values, value_notes = chosen.values, chosen.notes
    why, drivers = explained(scorer, clean, params)
    predictions = predictions_frame(customers, ok, scored_rows, values, why, scorer)
    order = params.serve.call_list_order
    predictions = decide(predictions, params.business, order)
    calls = call_list(predictions, params.business, order)
    ignored = [c for c in customers.extra.columns if c not in (customers.id_column, value_column)]
    facts = [
        f"{len(ok):,} rows read, {int(ok.sum()):,} scored, {int((~ok).sum()):,} rejected.",
        *facts,
        *value_notes,
        *([f"Columns the model does not use: {', '.join(ignored)}."] if ignored else []),
    ]
    scored = report_pages.Scored(
        source=source.name,
        id_column=customers.id_column,
        predictions=predictions,
        call_list=calls,
        rejected=pd.DataFrame(
            {customers.id_column: customers.ids.to_numpy()[~ok], "reason": errors[~ok].to_numpy()}
        ),
        rows=len(ok),
        expected_churners_called=float(calls["churn_probability"].sum()),
        expected_net_savings=campaign_savings(calls, params.business),
        validation_roc_auc=scorer.metadata.get("valid", {}).get("roc_auc"),
        data_facts=facts,
        unseen=replayed.unseen,
        warnings=scorer.metadata.get("warnings", []),
    )
    return scored, drivers


def predict_file(
    scorer: Scorer,
    source: Path,
    output: Path,
    params: Params,
    value_column: str,
    accept_rejected: float,
) -> dict:
    """Score ``source`` and write the outputs into ``output``; returns the counts and the
    categories not seen in training (scored, ``{column: {value: rows}}``)."""
    scored, drivers = score_customers(scorer, source, params, value_column, accept_rejected)
    b = params.business
    output.mkdir(parents=True, exist_ok=True)
    figures = campaign_figures(scored.predictions, b, output)
    page = report_pages.prediction_page(scored, b.model_dump(), drivers, figures)
    io.write_csv(scored.predictions, output / "predictions.csv")
    io.write_csv(scored.call_list, output / "call_list.csv")
    io.write_csv(scored.rejected, output / "rejected.csv")
    io.write_text(page, output / "report.html")
    counts = {
        "rows": scored.rows,
        "scored": len(scored.predictions),
        "rejected": len(scored.rejected),
        "called": len(scored.call_list),
    }
    log.info("scored %(scored)d of %(rows)d customers, %(rejected)d rejected", counts)
    for column, values in scored.unseen.items():
        log.warning("%s: categories not seen in training (scored): %s", column, values)
    return {**counts, "unseen_categories": scored.unseen}
