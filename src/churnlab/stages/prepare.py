"""Stage prepare: raw tables → cleaned, pseudonymised point-in-time customer snapshot.

For the built-in synthetic source it first writes the raw tables (as a CRM and a product
database would hold them) to ``data/raw/``; it then cleans them, builds the snapshot with
DuckDB (reading the raw tables' partitioned Parquet, so only the customers table and the
snapshot reach pandas, never the event tables) and writes ``data/prepared/``, the hidden
truth (synthetic only) and ``metrics/data_quality.json``. With ``engine.name: spark`` the
synthetic snapshot is built on Spark (:mod:`churnlab.engine.prepare`) from the same raw
tables.
"""

from __future__ import annotations

import logging
import os

import pandas as pd

from churnlab import io, progress
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.data import (
    cleaning,
    csv_checks,
    events,
    privacy,
    quality,
    raw_tables,
    snapshot,
    sources,
    userdata,
)
from churnlab.engine import generate
from churnlab.uplift import campaign_data

log = logging.getLogger(__name__)


def write_synthetic_raw(params: Params, spark=None) -> None:
    """The raw tables, generated and written one chunk at a time (so memory does not grow with
    the population): from this process, or from Spark's executors when ``spark`` is given.
    The default data is one chunk: one plain Parquet file per table, as always."""
    spec = generate.SynthSpec.from_params(params)
    log.info("generating %d synthetic customers (seed %d)", spec.n_customers, spec.seed)
    if spark is None:
        generate.write_local(spec, paths.RAW)
    else:
        generate.write_spark(spark, spec, paths.RAW)


def keep_only_this_run(raw: set[str], prepared: set[str]) -> None:
    """Remove what an earlier run left in ``data/raw`` and ``data/prepared`` (persisted DVC
    outputs): a user-data run must not record the synthetic tables, with their names, emails
    and phone numbers, in its ``dvc.lock``, nor a synthetic run a user's ``source.json``."""
    for directory, keep in ((paths.RAW, raw), (paths.PREPARED.parent, prepared)):
        removed = io.remove_others(directory, keep)
        if removed:
            log.info("removed %s left in %s by an earlier run", ", ".join(removed), directory)


def read_checked(kind: str, path: str, key: str, read) -> pd.DataFrame:
    """``read()``, with a CSV file's encoding, header and rows checked so that a failure
    names its real cause (:mod:`churnlab.data.csv_checks`)."""
    if kind == "csv" and os.path.isfile(path):
        csv_checks.check_encoding(path, key)
        csv_checks.check_header(path, key)
    frame = read()
    if kind == "csv":
        csv_checks.check_split(frame, path, key)
    return frame


def main_user(params: Params) -> None:
    """CSV, Parquet or SQL: read, gate, then write everything (nothing before the gate)."""
    d = params.data
    if not privacy.os.environ.get(privacy.SALT_ENV):
        log.warning("%s is not set: customer keys use the public demo salt", privacy.SALT_ENV)
    names = ["read", *(["event log"] if d.events.path else []), "convert and check", "write"]
    step = progress.Steps("prepare", names)
    step("read")
    raw = read_checked(d.source, d.path, "data.path", lambda: sources.read_source(d))
    table_params, event_figures = d, None
    if d.events.path:  # a customers table and an event log: the point-in-time snapshot
        step("event log")
        w = snapshot.windows(params)
        log_table = read_checked(
            d.events_source, d.events.path, "data.events.path", lambda: sources.read_events(d)
        )
        raw, event_figures = events.snapshot_table(raw, log_table, d, w)
        table_params = events.as_single_table(d, raw, w)
    step("convert and check")
    formats = sources.csv_date_formats(d.path) if d.source == "csv" else []
    result = userdata.prepare_user_table(raw, table_params, privacy.salt_from_env(), formats)
    if event_figures:
        result.quality["events"] = event_figures
    u = params.uplift
    if u.enabled and u.treatment in result.table.columns:  # a past campaign: its balance
        where = str(d.path or d.source)
        flags = campaign_data.treatment_flags(result.table, u.treatment, u.treated_value, where)
        campaign = [c for c in (u.treatment, u.propensity, TARGET) if c in result.table.columns]
        others = result.table.drop(columns=campaign)
        result.quality["campaign_balance"] = campaign_data.balance_report(others, flags)
    step("write")
    source = {"source": d.source, "rows": len(raw), "columns": list(raw.columns)}
    io.write_table(result.table, paths.PREPARED)
    write_user_records(d.source, source, result.schema, result.quality, paths.PREPARED.name)
    step.done()
    log.info(
        "prepared %d customers x %d features, label rate %.3f",
        len(result.table),
        result.table.shape[1] - 2,
        result.quality["label_rate"],
    )


def write_user_records(kind: str, source: dict, schema: dict, dq: dict, prepared: str) -> None:
    """What a user-data run records beside its prepared table, then the clean-up."""
    io.write_json(source, paths.RAW / "source.json")
    # An empty truth table: a truth file left by an earlier synthetic run must not be read.
    empty = pd.DataFrame({"customer_key": pd.Series([], dtype="string"), "churn_probability": []})
    io.write_table(empty, paths.TRUTH)
    io.write_json(schema, paths.SCHEMA)
    io.write_json(dq, paths.METRICS / "data_quality.json")
    io.write_text(quality.markdown(dq, kind), paths.QUALITY_REPORT)
    keep_only_this_run({"source.json"}, {paths.TRUTH.name, paths.SCHEMA.name, prepared})


def main(params: Params) -> None:
    if params.data.source != "synthetic" and params.engine.name == "spark":
        main_user_spark(params)
        return
    if params.data.source != "synthetic":
        main_user(params)
        return
    if params.engine.name == "spark":
        main_spark(params)
        return
    step = progress.Steps("prepare", ["generate", "clean", "snapshot", "write"])
    step("generate")
    if params.data.source == "synthetic":
        write_synthetic_raw(params)
    step("clean")
    con = raw_tables.open_raw()
    raw_customers = con.execute("SELECT * FROM customers_raw").df()
    customers, report = cleaning.clean_customers(raw_customers)
    snapshot_ts = pd.Timestamp(params.data.snapshot_date)
    active = cleaning.active_at(customers, snapshot_ts)
    log.info(
        "building the snapshot of %d active customers as of %s",
        int(active.sum()),
        params.data.snapshot_date,
    )
    step("snapshot")
    prepared = snapshot.build_snapshot(con, customers[active], snapshot.windows(params))
    prepared, dropped = privacy.drop_direct_identifiers(prepared)
    salt = privacy.salt_from_env()
    prepared.insert(0, "customer_key", privacy.pseudonymise(prepared.pop("customer_id"), salt))
    dq = quality.snapshot_figures(
        len(raw_customers),
        int((~active).sum()),
        prepared,
        report,
        raw_tables.count_event_duplicates(con),
    )
    dq["identifiers_dropped"] = dropped
    step("write")
    if params.data.source == "synthetic":
        truth = io.read_table(paths.RAW / "truth.parquet")
        truth["customer_key"] = privacy.pseudonymise(truth.pop("customer_id"), salt)
        truth = truth[truth["customer_key"].isin(prepared["customer_key"])]
        if params.uplift.enabled and "treated" in truth.columns:  # the past campaign's balance
            flags = truth.set_index("customer_key").loc[prepared["customer_key"], "treated"]
            features = prepared.drop(columns=[TARGET])
            dq["campaign_balance"] = campaign_data.balance_report(features, flags.to_numpy())
        io.write_table(truth.sort_values("customer_key", ignore_index=True), paths.TRUTH)
    io.write_table(prepared, paths.PREPARED)
    write_synthetic_figures(dq, {paths.TRUTH.name, paths.PREPARED.name})
    step.done()


def write_synthetic_figures(dq: dict, tables: set[str]) -> None:
    """The schema record, the quality figures and report, then the clean-up of old outputs."""
    io.write_json({"source": "synthetic", "target": TARGET, "columns": {}}, paths.SCHEMA)
    io.write_json(dq, paths.METRICS / "data_quality.json")
    io.write_text(quality.synthetic_markdown(dq), paths.QUALITY_REPORT)
    raw = {f"{name}.parquet" for name in (*raw_tables.RAW_TABLES, "truth")}
    keep_only_this_run(raw, {paths.SCHEMA.name, *tables})
    log.info("prepared %d customers, label rate %.3f", dq["rows_out"], dq["label_rate"])


def main_spark(params: Params) -> None:
    """The synthetic source on Spark: the session and the storage are checked before anything
    is written, so a bad master or storage leaves the earlier outputs in place."""
    from churnlab.engine import manifest, tables
    from churnlab.engine import prepare as on_spark
    from churnlab.engine.session import spark_session

    sp = params.engine.spark
    for table in (paths.PREPARED, paths.TRUTH):
        tables.location(sp, table)  # a missing storage directory fails here
    spark = spark_session(sp)
    write_synthetic_raw(params, spark)
    dq = on_spark.run(spark, params, privacy.salt_from_env())
    names = [paths.PREPARED, paths.TRUTH]
    if tables.external(sp):
        names = [manifest.manifest_path(name) for name in names]
    write_synthetic_figures(dq, {name.name for name in names})


def main_user_spark(params: Params) -> None:
    """A user's table or customers plus event log on Spark: the session and the storage are
    checked, the gate passed, before anything is written."""
    from churnlab.engine import manifest, tables, user_run
    from churnlab.engine.session import spark_session

    d, sp = params.data, params.engine.spark
    tables.location(sp, paths.PREPARED)  # a missing storage directory fails here
    spark = spark_session(sp)
    formats = (
        sources.csv_date_formats(d.path) if d.source == "csv" and os.path.isfile(d.path) else []
    )
    out = user_run.run(spark, params, privacy.salt_from_env(), formats)
    name = paths.PREPARED.name
    if tables.external(sp):
        name = manifest.manifest_path(paths.PREPARED).name
    write_user_records(d.source, out.source, out.schema, out.quality, name)
    log.info(
        "prepared %d customers on Spark, label rate %.3f",
        out.quality["rows_out"],
        out.quality["label_rate"],
    )
