"""Monitoring commands: ``churnlab drift`` and ``churnlab generate`` (a later synthetic month).

``drift`` reads both tables as ``churnlab score`` does (a user's monthly file goes through
the conversions the model was trained with), scores them with the packaged model, compares
features and predictions (:mod:`churnlab.serving.drift`), writes ``drift.json`` and
``drift.png`` and returns exit status 1 when the report says to alert, so a scheduler can page
someone or trigger retraining. An empty file or an all-missing column is a user error (exit
status 2), never an alert.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from churnlab import io
from churnlab.config.params import Params
from churnlab.data import cleaning, privacy, synth
from churnlab.data.snapshot import Windows, build_snapshot
from churnlab.errors import UserError
from churnlab.evaluation import plots
from churnlab.serving import drift
from churnlab.serving.batch import read_table
from churnlab.serving.scorer import Scorer

log = logging.getLogger(__name__)

ALERT_EXIT = 1


def _customers(scorer: Scorer, path: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The model inputs of a file's scorable rows and their churn probabilities. A user's
    table goes through the conversions the model was trained with, as in ``churnlab score``."""
    replayed = scorer.inputs(read_table(path))
    ok = replayed.ok
    if not ok.any():
        first = replayed.errors.dropna().iloc[0]
        raise UserError(f"{path}: no row could be scored (first reason: {first})")
    if not ok.all():
        log.warning("%s: %d rows rejected and left out of the drift check", path, (~ok).sum())
    features = replayed.features[ok]
    for name, entry in scorer.schema.items():
        if entry["kind"] in ("number", "category") and features[name].isna().all():
            raise UserError(
                f"{path}: column {name!r} has no values (all missing), so its drift cannot be "
                "measured; check the export"
            )
    scored = scorer.score_replayed(replayed)
    return features, scored.loc[ok, "churn_probability"].to_numpy(dtype="float64")


def run_drift(reference: str, current: str, models: str, output: Path, params: Params) -> int:
    scorer = Scorer.load(models, params.serve.model_copy(update={"top_reasons": 0}))
    ref, ref_scores = _customers(scorer, reference)
    cur, cur_scores = _customers(scorer, current)
    features = drift.feature_drift(ref, cur, scorer.schema, params.drift)
    prediction = drift.prediction_drift(ref_scores, cur_scores, params.drift.bins)
    report = drift.summarise(features, prediction, params.drift)
    report["reference"], report["current"] = reference, current
    report["rows"] = {"reference": len(ref), "current": len(cur)}
    io.write_json(report, output / "drift.json")
    plots.drift_png(report, output / "drift.png")
    for line in report["reasons"]:
        log.warning("drift alert: %s", line)
    log.info("wrote %s; alert: %s", output / "drift.json", report["alert"])
    return ALERT_EXIT if report["alert"] else 0


def prepared_month(
    n_customers: int, seed: int, snapshot_date: dt.date, params: Params, drift_name: str
) -> pd.DataFrame:
    """A prepared customer table (as the prepare stage builds it) for another month."""
    from churnlab.data.raw_tables import open_raw

    raw = synth.generate(
        n_customers=n_customers,
        seed=seed,
        snapshot_date=snapshot_date,
        churn_window_days=params.data.churn_window_days,
        history_days=params.synthetic.history_days,
        drift=drift_name,
    )
    windows = Windows(
        snapshot_date,
        params.data.churn_window_days,
        params.prepare.short_window_days,
        params.prepare.long_window_days,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, table in raw.tables().items():
            io.write_table(table, Path(tmp) / f"{name}.parquet")
        con = open_raw(Path(tmp))
        try:
            customers, _ = cleaning.clean_customers(con.execute("SELECT * FROM customers_raw").df())
            active = cleaning.active_at(customers, pd.Timestamp(snapshot_date))
            frame = build_snapshot(con, customers[active], windows)
        finally:
            con.close()
    frame, _ = privacy.drop_direct_identifiers(frame)
    frame.insert(
        0, "customer_key", privacy.pseudonymise(frame.pop("customer_id"), privacy.salt_from_env())
    )
    return frame


def generate_month(args: argparse.Namespace, params: Params) -> None:
    try:
        snapshot = dt.date.fromisoformat(args.snapshot_date)
    except ValueError:
        raise UserError(f"--snapshot-date must be YYYY-MM-DD, got {args.snapshot_date!r}") from None
    n = args.n_customers or params.synthetic.n_customers
    # Another month is another draw: the seed moves with the date unless given.
    seed = args.seed if args.seed is not None else params.synthetic.seed + snapshot.toordinal()
    frame = prepared_month(n, seed, snapshot, params, args.drift)
    out = Path(args.output)
    if out.suffix.lower() == ".csv":
        io.write_csv(frame, out)
    else:
        io.write_table(frame, out)
    log.info("wrote %d customers as of %s (drift: %s) to %s", len(frame), snapshot, args.drift, out)
