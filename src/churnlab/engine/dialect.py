"""DuckDB SQL → Spark SQL: one definition of the snapshot queries for both engines.

The point-in-time snapshot (:mod:`churnlab.data.snapshot`) and the event-log features
(:mod:`churnlab.data.event_history`) are written once, in DuckDB SQL. On Spark, sqlglot
translates them; the Spark text is generated code (never edited, never committed), and
``tests/test_spark_prepare.py`` proves that both engines give the same rows.

sqlglot's own DuckDB → Spark translation covers ``FILTER``, ``DISTINCT ON``,
``string_agg … ORDER BY`` (``LISTAGG … WITHIN GROUP``), ``arg_max`` and ``date_diff``. The rules
below cover what it leaves as DuckDB: ``to_days(n)`` becomes ``make_dt_interval(n)``, and a
decimal literal such as ``86400.0`` becomes a DOUBLE (Spark reads it as a DECIMAL, whose
division rounds to six places where DuckDB divides in floating point). DuckDB's ``$name``
parameters become Spark's named markers ``:name``, bound by :func:`run`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from churnlab.errors import UserError


def _spark_rules(node):
    from sqlglot import exp

    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="make_dt_interval", expressions=[node.this])
    if isinstance(node, exp.Literal) and not node.is_string and "." in node.name:
        return exp.cast(node.copy(), exp.DataType.build("double"))
    return node


@lru_cache(maxsize=16)
def to_spark(duckdb_sql: str) -> str:
    """The Spark SQL text of a DuckDB query (cached: the queries are module constants)."""
    try:
        import sqlglot
    except ImportError:
        raise UserError("prepare on Spark needs sqlglot: pip install sqlglot") from None

    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    return tree.transform(_spark_rules).sql(dialect="spark")


def literal(value):
    """A Python parameter as Spark binds it: a naive timestamp is read as UTC wall time (the
    session's time zone, :data:`churnlab.engine.session.DEFAULT_CONF`), whatever the time zone
    of the driver's process."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def timestamp(value: dt.datetime):
    """A naive timestamp as a Spark literal column (UTC wall time, as :func:`literal`)."""
    from pyspark.sql import functions as F

    return F.lit(literal(value))


def run(spark, duckdb_sql: str, params: dict, views: dict):
    """The DuckDB query run on Spark over ``views`` (name → Spark DataFrame, registered as
    temporary views of the session), with the DuckDB ``$name`` parameters bound."""
    sql = to_spark(duckdb_sql)
    for name, frame in views.items():
        frame.createOrReplaceTempView(name)
    # Placeholders are SQL markers (not string formatting), so no value is spliced into text.
    args = {name: literal(value) for name, value in params.items() if f":{name}" in sql}
    return spark.sql(sql, args=args)
