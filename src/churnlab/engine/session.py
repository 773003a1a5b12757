"""The SparkSession of a stage: created once per stage from ``engine.spark``.

A missing pyspark or Java and an unreachable master are user errors with one line saying what
to install or check; the builder's own failures keep their first line only.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from urllib.parse import urlparse

from churnlab.config.engine import SparkParams
from churnlab.errors import UserError

# Defaults a user's engine.spark.conf may override: UTC so dates read the same on both
# engines, Arrow for toPandas/mapInPandas, few shuffle partitions (the tables are per-customer).
DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.showConsoleProgress": "false",
    # Column names as pandas and scikit-learn see them: a user's categories "Month-to-month"
    # and "month-to-month" give two one-hot features, which Spark would call one name.
    "spark.sql.caseSensitive": "true",
}
CONNECT_TIMEOUT_S = 5.0


def _require_pyspark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError(
            "engine.name: spark needs pyspark: pip install 'pyspark>=4,<5' (and Java 17)"
        ) from None
    return SparkSession


def _require_java(master: str) -> None:
    if master.startswith("sc://"):  # Spark Connect: the JVM runs on the server
        return
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise UserError(
        "engine.name: spark needs Java 17: apt-get install openjdk-17-jre-headless "
        "(or set JAVA_HOME)"
    )


def check_reachable(master: str) -> None:
    """A ``spark://`` or ``sc://`` master must accept a TCP connection (Spark itself would
    retry for a minute and then fail the first job with a long trace)."""
    if not master.startswith(("spark://", "sc://")):
        return
    for address in master.split("://", 1)[1].split(","):  # standalone HA lists several
        url = urlparse(f"tcp://{address.split('/')[0]}")
        port = url.port or (7077 if master.startswith("spark://") else 15002)
        try:
            with socket.create_connection((url.hostname, port), timeout=CONNECT_TIMEOUT_S):
                return
        except OSError:
            continue
    raise UserError(f"engine.spark.master {master!r} is not reachable (no answer on its port)")


def spark_session(p: SparkParams):
    """The stage's SparkSession (``getOrCreate``: a test's session is reused)."""
    SparkSession = _require_pyspark()
    _require_java(p.master)
    check_reachable(p.master)
    builder = SparkSession.builder.appName("churnlab")
    builder = builder.remote(p.master) if p.master.startswith("sc://") else builder.master(p.master)
    conf = {**DEFAULT_CONF, **p.conf}
    if p.master.startswith("local"):  # the executors' Python is the driver's
        conf.setdefault("spark.pyspark.python", sys.executable)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM's errors are many; keep the first line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(
            f"cannot start Spark at engine.spark.master {p.master!r}: {first}"
        ) from None
