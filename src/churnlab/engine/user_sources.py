"""A user's customers table or event log read by Spark (``data.source`` on the Spark engine).

The Spark side of :mod:`churnlab.data.sources`: CSV and Parquet files *or directories* at any
URI Spark reads (a local path, ``file://``, ``s3a://``, ``abfss://``, ``hdfs://``), a table or
query through Spark's JDBC reader (``data.source: sql`` with a ``jdbc:`` URL in ``data.path``),
or a table or query of the session's catalog (``data.path: catalog``, with ``data.table`` or
``data.query``). Columns are typed as the local DuckDB reader types them, so that the schema
inference sees the same frame: CSV types are inferred by Spark and then the target and id are
re-read as text (their leading zeros matter), dates and timestamps become naive timestamps,
32-bit integers 64-bit ones; Parquet timestamps stored in nanoseconds (pandas) are read.
Each row gets ``_row``, its position in file order (monotone, not consecutive), the order the
local engine reads. SQL queries pass the local one-statement check; every failure is one line.
"""

from __future__ import annotations

import logging
from pathlib import Path

from churnlab.data import sources
from churnlab.engine import tables
from churnlab.errors import UserError

log = logging.getLogger(__name__)
ROW = "_row"  # the position in file order
CATALOG = "catalog"  # data.path of a table (or query) of the session's catalog
SEPARATORS = (",", ";", "\t", "|")


def jdbc_options(url: str, query: str, table: str, key: str = "data.path") -> dict[str, str]:
    """Spark's JDBC reader options: always a ``query`` (a table is read as ``SELECT *`` of its
    quoted name), checked to be one statement as the local SQL reader checks it."""
    return {"url": url, "query": sources._sql_text(query, table, key)}


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read(spark, kind: str, path: str, query: str, table: str, as_text, key: str):
    """The source as a Spark DataFrame with ``_row``; a failure is one :class:`UserError`."""
    log.info("reading %s source %s on Spark", kind, sources._redact(path))
    if kind in ("csv", "parquet") and "://" not in path:  # the JVM's directory is not ours
        path = str(Path(path).resolve())
    try:
        if kind == "csv":
            frame = _read_csv(spark, path, as_text)
        elif kind == "parquet":
            frame = read_parquet(spark, path, key)
        elif path == CATALOG:
            sql = query or f"SELECT * FROM {table}"
            frame = spark.sql(sources._sql_text(query, "", key)) if query else spark.sql(sql)
        elif path.startswith("jdbc:"):
            options = jdbc_options(path, query, table, key)
            frame = spark.read.format("jdbc").options(**options).load()
        else:
            raise UserError(
                f"{key} {sources._redact(path)!r}: on the Spark engine a SQL source is a jdbc: URL "
                f"or {CATALOG!r} (a table of the Spark catalog); use engine.name: local for "
                "SQLAlchemy URLs"
            )
        frame = _typed(frame, as_text)
        frame.schema  # noqa: B018  (resolves the plan: a missing table fails here)
    except UserError:
        raise
    except Exception as exc:  # Spark's analysis and JVM errors have no common base class
        raise UserError(
            f"{key} {sources._redact(path)!r}: Spark cannot read it: {_first_line(exc)}"
        ) from None
    return _with_row(frame)


def _with_row(frame):
    from pyspark.sql import functions as F

    return frame.withColumn(ROW, F.monotonically_increasing_id())


def _local(path: str) -> Path | None:
    return tables._local_root(path)


def _separator(spark, path: str) -> str:
    """The separator of the header line: the most frequent of ``,`` ``;`` tab ``|``."""
    head = spark.read.text(path).first()
    line = head[0] if head else ""
    return max(SEPARATORS, key=line.count)


def _read_csv(spark, path: str, as_text):
    from pyspark.sql.types import StringType, StructField, StructType

    local = _local(path)
    if local is not None and not local.exists():
        raise UserError(f"{path!r}: no such file or directory")
    options = {"header": "true", "sep": _separator(spark, path), "escape": '"'}
    inferred = spark.read.options(inferSchema="true", **options).csv(path).schema
    names = [f.name.lstrip("\ufeff").strip() for f in inferred.fields]
    fields = [
        StructField(f.name, StringType() if name in as_text else f.dataType)
        for f, name in zip(inferred.fields, names, strict=True)
    ]
    frame = spark.read.options(**options).schema(StructType(fields)).csv(path)
    return frame.toDF(*names)


def read_parquet(spark, path: str, key: str = "data.path"):
    """A Parquet file or directory; nanosecond timestamps (as pandas writes them) are read as
    longs and turned into timestamps (call inside :func:`churnlab.engine.prepare.nanos_as_long`)."""
    from pyspark.sql import functions as F

    from churnlab.engine.prepare import nanos_columns

    local = _local(path)
    if local is not None and not local.exists():
        raise UserError(f"{key} {path!r}: no such file or directory")
    frame = spark.read.parquet(path)
    for column in nanos_columns(local) if local is not None else []:
        micros = F.expr(f"`{column}` div 1000")
        frame = frame.withColumn(column, F.timestamp_micros(micros).cast("timestamp_ntz"))
    return frame


def _typed(frame, as_text):
    """Types as the local reader gives them (module docstring)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import (
        ByteType,
        DateType,
        IntegerType,
        ShortType,
        StringType,
        TimestampType,
    )

    columns = []
    for field in frame.schema.fields:
        column = F.col(f"`{field.name}`")
        if field.name in as_text and not isinstance(field.dataType, StringType):
            column = column.cast("string")
        elif isinstance(field.dataType, DateType | TimestampType):
            column = column.cast("timestamp_ntz")
        elif isinstance(field.dataType, ByteType | ShortType | IntegerType):
            column = column.cast("long")
        columns.append(column.alias(field.name))
    return frame.select(*columns)
