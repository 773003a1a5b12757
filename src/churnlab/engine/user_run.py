"""The prepare stage on Spark for a user's own data: a table, or customers plus an event log.

Reads the source with :mod:`churnlab.engine.user_sources`, builds the point-in-time snapshot
on Spark when an event log is given (:mod:`churnlab.engine.user_events`), prepares the
per-customer table (:mod:`churnlab.engine.user_prepare`), writes it in raw-id order where
``engine.spark.storage`` says, and returns what the stage records beside it (the schema, the
data-quality figures by Spark aggregates, with a past campaign's balance when the table has
the ``uplift.treatment`` column (:mod:`churnlab.engine.campaign`), the source summary). A user
error raised inside a Python worker (a bad date, an unreadable value) reaches the user as that
one line.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass

import pandas as pd

from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.data import events, snapshot
from churnlab.engine import tables, user_events, user_quality, user_sources
from churnlab.engine.campaign import user_campaign_balance
from churnlab.engine.prepare import nanos_as_long
from churnlab.engine.user_prepare import ID, ORDER, prepare_table
from churnlab.errors import UserError

log = logging.getLogger(__name__)
_WORKER_ERROR = re.compile(r"churnlab\.errors\.UserError: (.+)")


@dataclass
class Outputs:
    schema: dict
    quality: dict
    source: dict


@contextlib.contextmanager
def worker_errors():
    """A :class:`UserError` raised on an executor re-raised as itself (Spark wraps it in a
    ``PythonException`` with the worker's traceback)."""
    from pyspark.errors import PythonException

    try:
        yield
    except PythonException as exc:
        found = _WORKER_ERROR.search(str(exc))
        if found is None:
            raise
        raise UserError(found.group(1).strip()) from None


def read_sources(spark, params: Params):
    """The customers table and, with ``data.events``, the event log (None without)."""
    d = params.data
    customers = user_sources.read(
        spark, d.source, d.path, d.query, d.table, {c for c in (d.target, d.id) if c}, "data.path"
    )
    if not d.events.path:
        return customers, None
    e = d.events
    text = {c for c in (e.customer_id, e.type) if c}
    log_table = user_sources.read(
        spark, d.events_source, e.path, e.query, e.table, text, "data.events.path"
    )
    return customers, log_table


def run(spark, params: Params, salt: bytes, formats: list[str]) -> Outputs:
    with nanos_as_long(spark), worker_errors():
        return _run(spark, params, salt, formats)


def _run(spark, params: Params, salt: bytes, formats: list[str]) -> Outputs:
    d, sp = params.data, params.engine.spark
    customers, log_table = read_sources(spark, params)
    table_params, order, event_figures = d, user_sources.ROW, None
    if log_table is not None:
        w = snapshot.windows(params)
        customers, features, event_figures = user_events.snapshot_table(
            spark, customers, log_table, d, w
        )
        frame = pd.DataFrame(columns=customers.columns)
        frame.attrs["event_features"] = features
        table_params, order = events.as_single_table(d, frame, w), "customer_id"
    source_columns = [c for c in customers.columns if c != user_sources.ROW]
    customers = customers.cache()  # read (or built from the event log) once
    prepared = prepare_table(spark, customers, table_params, salt, formats, sp, order)
    table = prepared.table.cache()
    u, balance = params.uplift, None
    try:
        if u.enabled and u.treatment in table.columns:  # checked before anything is written
            where = str(d.path or d.source)
            balance = user_campaign_balance(table, u, where, (ID, ORDER))
        tables.write_stage_table(spark, sp, table.drop(ORDER), paths.PREPARED, True, ID)
        figures = user_quality.figures(
            prepared.raw, table.drop(ID), prepared.schema, prepared.quality
        )
    finally:
        table.unpersist()
        customers.unpersist()
    if event_figures:
        figures["events"] = event_figures
    if balance is not None:  # a past campaign
        figures["campaign_balance"] = balance
    source = {"source": d.source, "rows": figures["rows_in"], "columns": source_columns}
    return Outputs(prepared.schema, figures, source)
