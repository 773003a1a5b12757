"""The raw synthetic tables (``data/raw/``): their schema, a DuckDB view of each, and checks.

Used by the prepare stage and by ``churnlab drift`` (which rebuilds a later month's snapshot
from the same kind of tables), so it lives here rather than in a stage.
"""

from __future__ import annotations

import duckdb

from churnlab.config import paths
from churnlab.errors import UserError

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
    """A DuckDB connection with one view ``<table>_raw`` per raw parquet file (or directory of
    part files, read in name order)."""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    for table in RAW_TABLES:
        path = raw_dir / f"{table}.parquet"
        if not path.exists():
            raise UserError(
                f"{path} is missing: the raw tables are produced by prepare itself "
                "for data.source=synthetic"
            )
        source = f"{path}/*.parquet" if path.is_dir() else path  # a chunked table's parts
        try:
            con.execute(f"CREATE VIEW {table}_raw AS SELECT * FROM read_parquet('{source}')")
        except duckdb.Error as exc:
            raise UserError(f"{path} is not a readable parquet file: {exc}") from None
    check_schema(con, raw_dir)
    return con


def count_event_duplicates(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for table in ("logins", "payments"):
        total, distinct = con.execute(
            f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT * FROM {table}_raw)) "
            f"FROM {table}_raw"
        ).fetchone()
        counts[table] = int(total - distinct)
    return counts
