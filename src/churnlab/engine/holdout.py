"""What the evaluate stage reads of the test split on Spark: a few columns, never the table.

The driver gets the customer keys and labels, the scores computed on the executors
(:mod:`churnlab.engine.score`), the columns the segments are cut from, and the rows SHAP
explains (at most ``evaluate.explain_rows`` + ``evaluate.top_customers`` of them), all in the
order of the part files (the tables are written sorted by customer key). Which columns the
segments need is decided from the Parquet schema and, for user data, one Spark aggregate of
the distinct counts, following :func:`churnlab.evaluation.segments.segment_columns` and
:func:`~churnlab.evaluation.segments.schema_segments`; the collected columns then go through
those same functions, so the driver's memory does not grow with the table's width.

When the test split has more than ``evaluate.explain_rows`` customers, SHAP's global figures
are computed over the seeded sample plus the top-risk customers (the local engine: the sample
alone); with fewer, the rows and figures are the local ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, NON_FEATURES, TARGET
from churnlab.config.params import EvaluateParams, Params
from churnlab.engine import score, tables
from churnlab.engine.input_schema import column_kind
from churnlab.engine.session import spark_session
from churnlab.evaluation import segments
from churnlab.evaluation.shap_report import explained_rows


@dataclass(frozen=True)
class ScoredTest:
    columns: pd.DataFrame  # customer key, label and the segments' source columns
    scores: np.ndarray  # aligned with ``columns``
    explained: tuple[pd.DataFrame, np.ndarray, EvaluateParams]  # SHAP's rows, scores, params


def _tenure_column(frame) -> str | None:
    """:func:`segments.tenure_column` read from the Spark schema."""
    for field in frame.schema.fields:
        if "tenure" in field.name.lower() and column_kind(field) == "number":
            return field.name
    return None


def found_columns(frame, max_values: int) -> list[str]:
    """The source columns of :func:`segments.schema_segments`: text columns with 2 to
    ``max_values`` distinct values (one Spark aggregate) and the tenure-like column."""
    from pyspark.sql import functions as F

    candidates = [
        f.name
        for f in frame.schema.fields
        if f.name not in NON_FEATURES and column_kind(f) == "text"
    ]
    out = []
    if candidates:
        row = frame.agg(*[F.count_distinct(c).alias(str(i)) for i, c in enumerate(candidates)])
        counts = row.first()
        out = [c for i, c in enumerate(candidates) if 2 <= counts[str(i)] <= max_values]
    tenure = _tenure_column(frame)
    return out + ([tenure] if tenure else [])


def segment_sources(frame, e: EvaluateParams, skip_missing: bool, max_values: int) -> list[str]:
    """The columns :func:`segments.segment_columns` reads, in the table's order. A named
    column the synthetic data lacks raises that function's error (on an empty frame)."""
    names, wanted, missing = set(frame.columns), set(), False
    for name in e.segments:
        if name == segments.TENURE_BAND and name not in names and "tenure_days" in names:
            wanted.add("tenure_days")
        elif name in names:
            wanted.add(name)
        else:
            missing = True
    if missing and not skip_missing:
        segments.segment_columns(pd.DataFrame(columns=frame.columns), e.segments, [])
    if missing:  # user data: its own few-valued columns stand in for the absent ones
        wanted |= set(found_columns(frame, max_values))
    return [c for c in frame.columns if c in wanted and c not in NON_FEATURES]


def explained(frame, keys: pd.Series, scores: np.ndarray, e: EvaluateParams):
    """SHAP's rows (the seeded sample and the top-risk customers) collected by key, their
    scores and the evaluate params that make ``explain_test`` take every one of them."""
    sample = explained_rows(len(keys), e.explain_rows, e.explain_seed)
    top = np.argsort(-scores, kind="stable")[: e.top_customers]
    rows = np.union1d(sample, top)
    spark = frame.sparkSession
    wanted = spark.createDataFrame(pd.DataFrame({CUSTOMER_KEY: keys.to_numpy()[rows]}))
    picked = frame.join(wanted.hint("broadcast"), on=CUSTOMER_KEY).select(*frame.columns)
    collected = picked.orderBy(CUSTOMER_KEY).toArrow().to_pandas()
    if len(rows) < len(keys):  # every collected row is explained (see the module's note)
        e = e.model_copy(update={"explain_rows": len(rows)})
    return collected, scores[rows], e


def scored_test(params: Params, pipeline) -> ScoredTest:
    """The evaluate stage's view of the test split on Spark."""
    sp, e = params.engine.spark, params.evaluate
    frame = tables.read(spark_session(sp), tables.location(sp, paths.SPLIT / "test.parquet"))
    skip_missing = params.data.source != "synthetic"
    sources = segment_sources(frame, e, skip_missing, params.report.segment_max_values)
    columns = frame.select(CUSTOMER_KEY, TARGET, *sources).orderBy(CUSTOMER_KEY)
    columns = columns.toArrow().to_pandas()
    scores = score.aligned(score.probabilities(frame, pipeline), columns[CUSTOMER_KEY])
    return ScoredTest(columns, scores, explained(frame, columns[CUSTOMER_KEY], scores, e))
