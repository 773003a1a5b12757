"""Reading user data: CSV and Parquet files (through DuckDB) and SQL databases.

DuckDB streams files and sniffs CSV dialects (``,`` ``;`` or tab separators, quoting, a
UTF-8 BOM, header), so only the result is materialised, with typed columns instead of one
Python string per cell. SQL reads in chunks, and never writes: a table name is quoted by the
database's own dialect, a query must be exactly one statement, and every read runs in a
read-only transaction or connection. Every failure names the source.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd

from churnlab.config.params import DataParams
from churnlab.errors import UserError

log = logging.getLogger(__name__)
CHUNK_ROWS = 100_000


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    return con


def read_file(
    kind: str, path: str, as_text: tuple[str, ...] = (), key: str = "data.path"
) -> pd.DataFrame:
    """The whole file, typed by DuckDB's sniffer except ``as_text`` columns (kept verbatim:
    the target, whose Yes/No DuckDB would turn into booleans, and the id, whose leading
    zeros matter)."""
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{key} {path!r}: no such file")
    if file.stat().st_size == 0:
        raise UserError(f"{key} {path!r} is empty")
    con = _connect()
    try:
        reader = _read_csv if kind == "csv" else _read_parquet
        frame = reader(con, file, as_text)
    except (duckdb.Error, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0]
        raise UserError(f"{key} {path!r} is not a readable {kind} file: {first}") from None
    finally:
        con.close()
    if frame.empty:
        raise UserError(f"{key} {path!r} has no data rows")
    return frame


def _read_csv(con: duckdb.DuckDBPyConnection, file: Path, as_text: tuple[str, ...]):
    """Types sniffed from a sample of rows (fast); when a later row does not fit them (a
    number column with text further down), read again with types sniffed from every row."""
    header = con.read_csv(str(file), header=True, sample_size=2048).columns
    text = {c: "VARCHAR" for c in as_text if c in header} or None
    try:
        return _frame(con.read_csv(str(file), header=True, dtype=text))
    except duckdb.Error as exc:
        log.info("re-reading %s with a full type scan: %s", file, str(exc).splitlines()[0])
    return _frame(con.read_csv(str(file), header=True, sample_size=-1, dtype=text))


def _frame(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """Through Arrow (half the time of ``.df()`` on a million rows); dates as datetime64."""
    return relation.to_arrow_table().to_pandas(date_as_object=False)


def csv_date_formats(path: str) -> list[str]:
    """The date and timestamp formats DuckDB's sniffer finds in a CSV file (such as
    ``%d/%m/%Y``), recorded with the conversions so that scoring reads the dates of a file
    that comes as text the way training read them. ISO 8601 formats are left out: scoring
    tries ISO 8601 first anyway."""
    con = _connect()
    try:
        found = con.execute("SELECT DateFormat, TimestampFormat FROM sniff_csv(?)", [path])
        return [fmt for fmt in found.fetchone() if fmt and not fmt.startswith("%Y-%m-%d")]
    except duckdb.Error:
        return []
    finally:
        con.close()


def _read_parquet(con: duckdb.DuckDBPyConnection, file: Path, as_text: tuple[str, ...]):
    return con.read_parquet(str(file)).df()  # parquet columns are typed: nothing to sniff


# What may hide a semicolon: strings (E'' strings with backslash escapes), quoted names,
# dollar-quoted bodies and comments. An unterminated one leaves its semicolons visible.
_SQL_HIDING = re.compile(
    r"(?<![\w$])[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`"
    r"|(\$[A-Za-z_]*\$).*?\1|--[^\n]*|/\*.*?\*/",
    re.S,
)
# MySQL and MariaDB lex differently: a backslash escapes the next character in '' and ""
# strings, ``#`` starts a comment, ``--`` only when a space follows (``1--1`` is arithmetic),
# and ``/*! ... */`` is run, not ignored. Read with the standard lexer alone, ``'a\''; DROP
# TABLE t; '`` looked like one statement. Both lexers count for these dialects, because the
# server's sql_mode NO_BACKSLASH_ESCAPES switches MySQL to the standard reading of strings.
_SQL_HIDING_MYSQL = re.compile(
    r"'(?:[^'\\]|''|\\.)*'|\"(?:[^\"\\]|\"\"|\\.)*\"|`(?:[^`]|``)*`"
    r"|(?:--\s|#)[^\n]*|/\*(?!!).*?\*/",
    re.S,
)
_LEXERS = {"mysql": (_SQL_HIDING, _SQL_HIDING_MYSQL), "mariadb": (_SQL_HIDING, _SQL_HIDING_MYSQL)}


def _lexed_count(sql: str, hiding: re.Pattern) -> int:
    return sum(1 for part in hiding.sub(" ", sql).split(";") if part.strip())


def statement_count(sql: str, dialect: str = "default") -> int:
    """Statements in ``sql``: the largest of the lexers' counts (semicolons outside strings,
    quoted names and comments; for MySQL and MariaDB both the standard and their own
    reading) and DuckDB's parser's (PostgreSQL's grammar), when it parses."""
    count = max(_lexed_count(sql, h) for h in _LEXERS.get(dialect, (_SQL_HIDING,)))
    try:
        parsed = len(duckdb.extract_statements(sql))
    except duckdb.Error:  # another dialect's syntax: the lexer alone decides
        parsed = 0
    return max(count, parsed)


def quote_table(table: str, dialect: str = "default") -> str:
    """The table name as one identifier, quoted by the SQLAlchemy dialect of the database
    (``"a""b"`` on PostgreSQL and SQLite, `` `a``b` `` on MySQL), so any name is read as a name."""
    import sqlalchemy.dialects
    from sqlalchemy.engine.default import DefaultDialect

    found = DefaultDialect if dialect == "default" else sqlalchemy.dialects.registry.load(dialect)
    return found().identifier_preparer.quote_identifier(table)


def _sql_text(query: str, table: str, key: str, dialect: str = "default") -> str:
    if not query:
        return f"SELECT * FROM {quote_table(table, dialect)}"
    found = statement_count(query, dialect)
    if found != 1:
        raise UserError(
            f"{key.rsplit('.', 1)[0]}.query must be exactly one SQL statement (a SELECT), "
            f"found {found}: only reads are allowed"
        )
    return query


def read_sql(p: DataParams) -> pd.DataFrame:
    """``sqlite:///file``, ``duckdb:///file`` or any SQLAlchemy URL (e.g. postgresql+psycopg)."""
    return read_sql_at(p.path, p.query, p.table)


def read_sql_at(url: str, query: str, table: str, key: str = "data.path") -> pd.DataFrame:
    try:
        if url.startswith("duckdb:///"):
            frame = _read_duckdb(url.removeprefix("duckdb:///"), _sql_text(query, table, key))
        elif url.startswith("sqlite:///"):
            sql = _sql_text(query, table, key, "sqlite")
            frame = _read_sqlite(url.removeprefix("sqlite:///"), sql)
        else:
            frame = _read_sqlalchemy(url, query, table, key)
    except UserError:
        raise
    except Exception as exc:  # driver errors have no common base class
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{key} {_redact(url)}: SQL error: {first}") from None
    if frame.empty:
        raise UserError(f"{key} {_redact(url)}: the query returned no rows")
    return frame


def _redact(url: str) -> str:
    """The URL without a password, so it can appear in messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
    return url


def _read_duckdb(path: str, sql: str) -> pd.DataFrame:
    if not Path(path).is_file():
        raise UserError(f"data.path duckdb:///{path}: no such database file")
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _read_sqlite(path: str, sql: str) -> pd.DataFrame:
    if not Path(path).is_file():
        raise UserError(f"data.path sqlite:///{path}: no such database file")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        chunks = list(pd.read_sql_query(sql, con, chunksize=CHUNK_ROWS))
    finally:
        con.close()
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


# How each dialect makes the read's transaction read-only; the SQL dialect of a
# ``sqlite+driver://`` URL is used through SQLAlchemy too.
_READ_ONLY = {
    "postgresql": "SET TRANSACTION READ ONLY",
    "mysql": "SET TRANSACTION READ ONLY",
    "mariadb": "SET TRANSACTION READ ONLY",
    "sqlite": "PRAGMA query_only = ON",
}


def _read_sqlalchemy(url: str, query: str, table: str, key: str) -> pd.DataFrame:
    """Read in a transaction that is read-only before the query runs, then rolled back."""
    try:
        import sqlalchemy
    except ImportError:
        raise UserError(f"data.path {_redact(url)}: SQLAlchemy is not installed") from None
    engine = sqlalchemy.create_engine(url)
    try:
        sql = _sql_text(query, table, key, engine.dialect.name)
        with engine.connect() as con:
            read_only = _READ_ONLY.get(engine.dialect.name)
            if read_only:
                con.exec_driver_sql(read_only)
            else:
                log.warning(
                    "%s: no read-only transaction for the %s dialect; read with a database "
                    "user that may only SELECT",
                    _redact(url),
                    engine.dialect.name,
                )
            chunks = list(pd.read_sql_query(sqlalchemy.text(sql), con, chunksize=CHUNK_ROWS))
            con.rollback()
    finally:
        engine.dispose()
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


def read_source(p: DataParams) -> pd.DataFrame:
    log.info("reading %s source %s", p.source, _redact(p.path))
    if p.source == "sql":
        return read_sql(p)
    return read_file(p.source, p.path, tuple(c for c in (p.target, p.id) if c))


def read_events(p: DataParams) -> pd.DataFrame:
    """The event log of multi-table user data (``data.events``)."""
    e, kind = p.events, p.events_source
    log.info("reading %s event log %s", kind, _redact(e.path))
    if kind == "sql":
        return read_sql_at(e.path, e.query, e.table, "data.events.path")
    text = tuple(c for c in (e.customer_id, e.type) if c)
    return read_file(kind, e.path, text, "data.events.path")
