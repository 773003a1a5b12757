"""Stage prepare: raw tables → cleaned, pseudonymised point-in-time customer snapshot.

For the built-in synthetic source it first writes the raw tables (as a CRM and a product
database would hold them) to ``data/raw/``; it then cleans them, builds the snapshot with
DuckDB and writes ``data/prepared/``, the hidden truth (synthetic only) and
``metrics/data_quality.json``.
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

from churnlab import cleaning, events, io, paths, privacy, quality, sources, synth, userdata
from churnlab.errors import UserError
from churnlab.params import Params
from churnlab.snapshot import TARGET, Windows, build_snapshot

log = logging.getLogger(__name__)

RAW_TABLES = ("customers", "logins", "payments", "tickets")
# Raw schema: column → the DuckDB type family it must have ("text" accepts any type).
RAW_SCHEMA = {
    "customers": {"customer_id": "text", "signup_date": "time", "closed_at": "time"},
    "logins": {"customer_id": "text", "login_at": "time"},
    "payments": {"customer_id": "text", "paid_at": "time", "amount": "number", "status": "text"},
    "tickets": {
        "ticket_id": "text",
        "customer_id": "text",
        "created_at": "time",
        "description": "text",
    },
}
_TYPE_FAMILIES = {
    "time": ("TIMESTAMP", "DATE"),
    "number": (
        "DOUBLE",
        "FLOAT",
        "DECIMAL",
        "INTEGER",
        "BIGINT",
        "SMALLINT",
        "TINYINT",
        "HUGEINT",
        "UBIGINT",
        "UINTEGER",
    ),
}


def write_synthetic_raw(params: Params) -> None:
    s, d = params.synthetic, params.data
    log.info("generating %d synthetic customers (seed %d)", s.n_customers, s.seed)
    raw = synth.generate(
        s.n_customers, s.seed, d.snapshot_date, d.churn_window_days, s.history_days
    )
    for name, table in raw.tables().items():
        io.write_table(table, paths.RAW / f"{name}.parquet")
    io.write_table(raw.truth, paths.RAW / "truth.parquet")


def check_schema(con: duckdb.DuckDBPyConnection, raw_dir) -> None:
    """Each raw table has the columns prepare reads, with usable types; else name the file."""
    for table, schema in RAW_SCHEMA.items():
        types = {row[0]: row[1] for row in con.execute(f"DESCRIBE {table}_raw").fetchall()}
        missing = [c for c in schema if c not in types]
        if missing:
            raise UserError(
                f"{raw_dir / table}.parquet lacks column(s) {missing}; it has {sorted(types)}"
            )
        for column, family in schema.items():
            allowed = _TYPE_FAMILIES.get(family)
            if allowed and not types[column].startswith(allowed):
                raise UserError(
                    f"{raw_dir / table}.parquet: column {column!r} must be a {family} "
                    f"column, found {types[column]}"
                )


def open_raw(raw_dir=paths.RAW) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view ``<table>_raw`` per raw parquet file."""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    for table in RAW_TABLES:
        path = raw_dir / f"{table}.parquet"
        if not path.exists():
            raise UserError(
                f"{path} is missing: the raw tables are produced by prepare itself "
                "for data.source=synthetic"
            )
        try:
            con.execute(f"CREATE VIEW {table}_raw AS SELECT * FROM read_parquet('{path}')")
        except duckdb.Error as exc:
            raise UserError(f"{path} is not a readable parquet file: {exc}") from None
    check_schema(con, raw_dir)
    return con


def quality_report(
    rows_in: int,
    active: int,
    prepared: pd.DataFrame,
    cleaning_report: dict,
    event_duplicates: dict[str, int],
) -> dict:
    features = prepared.drop(columns=[TARGET])
    missing = features.isna().mean().round(6).to_dict()
    return {
        "rows_in": rows_in,
        "rows_out": len(prepared),
        "not_active_at_snapshot": active,
        "duplicates_removed": {**cleaning_report["duplicates_removed"], **event_duplicates},
        "spelling_fixed": cleaning_report["spelling_fixed"],
        "invalid_to_missing": cleaning_report["invalid_to_missing"],
        "missing_share": missing,
        "label_rate": round(float(prepared[TARGET].mean()), 6),
        "n_columns": prepared.shape[1],
    }


def count_event_duplicates(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for table in ("logins", "payments"):
        total, distinct = con.execute(
            f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT * FROM {table}_raw)) "
            f"FROM {table}_raw"
        ).fetchone()
        counts[table] = int(total - distinct)
    return counts


def _synthetic_markdown(q: dict) -> str:
    lines = [
        "# Data-quality report",
        "",
        "Source: synthetic",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {q[k]} |" for k in sorted(q)]
    return "\n".join(lines) + "\n"


def windows(params: Params) -> Windows:
    return Windows(
        params.data.snapshot_date,
        params.data.churn_window_days,
        params.prepare.short_window_days,
        params.prepare.long_window_days,
    )


def main_user(params: Params) -> None:
    """CSV, Parquet or SQL: read, gate, then write everything (nothing before the gate)."""
    d = params.data
    if not privacy.os.environ.get(privacy.SALT_ENV):
        log.warning("%s is not set: customer keys use the public demo salt", privacy.SALT_ENV)
    raw = sources.read_source(d)
    table_params, event_figures = d, None
    if d.events.path:  # a customers table and an event log: the point-in-time snapshot
        w = windows(params)
        raw, event_figures = events.snapshot_table(raw, sources.read_events(d), d, w)
        table_params = events.as_single_table(d, raw, w)
    result = userdata.prepare_user_table(raw, table_params, privacy.salt_from_env())
    if event_figures:
        result.quality["events"] = event_figures
    source = {"source": d.source, "rows": len(raw), "columns": list(raw.columns)}
    io.write_json(source, paths.RAW / "source.json")
    # An empty truth table: a truth file left by an earlier synthetic run must not be read.
    empty = pd.DataFrame({"customer_key": pd.Series([], dtype="string"), "churn_probability": []})
    io.write_table(empty, paths.TRUTH)
    io.write_json(result.schema, paths.SCHEMA)
    io.write_table(result.table, paths.PREPARED)
    io.write_json(result.quality, paths.METRICS / "data_quality.json")
    io.write_text(quality.markdown(result.quality, d.source), paths.QUALITY_REPORT)
    log.info(
        "prepared %d customers x %d features, label rate %.3f",
        len(result.table),
        result.table.shape[1] - 2,
        result.quality["label_rate"],
    )


def main(params: Params) -> None:
    if params.data.source != "synthetic":
        main_user(params)
        return
    if params.data.source == "synthetic":
        write_synthetic_raw(params)
    con = open_raw()
    raw_customers = con.execute("SELECT * FROM customers_raw").df()
    customers, report = cleaning.clean_customers(raw_customers)
    snapshot_ts = pd.Timestamp(params.data.snapshot_date)
    active = cleaning.active_at(customers, snapshot_ts)
    log.info(
        "building the snapshot of %d active customers as of %s",
        int(active.sum()),
        params.data.snapshot_date,
    )
    prepared = build_snapshot(con, customers[active], windows(params))
    prepared, dropped = privacy.drop_direct_identifiers(prepared)
    salt = privacy.salt_from_env()
    prepared.insert(0, "customer_key", privacy.pseudonymise(prepared.pop("customer_id"), salt))
    dq = quality_report(
        len(raw_customers), int((~active).sum()), prepared, report, count_event_duplicates(con)
    )
    dq["identifiers_dropped"] = dropped
    if params.data.source == "synthetic":
        truth = io.read_table(paths.RAW / "truth.parquet")
        truth["customer_key"] = privacy.pseudonymise(truth.pop("customer_id"), salt)
        truth = truth[truth["customer_key"].isin(prepared["customer_key"])]
        io.write_table(truth.sort_values("customer_key", ignore_index=True), paths.TRUTH)
    io.write_json({"source": "synthetic", "target": TARGET, "columns": {}}, paths.SCHEMA)
    io.write_table(prepared, paths.PREPARED)
    io.write_json(dq, paths.METRICS / "data_quality.json")
    io.write_text(_synthetic_markdown(dq), paths.QUALITY_REPORT)
    log.info("prepared %d customers, label rate %.3f", len(prepared), dq["label_rate"])
