"""Training on the Spark driver (``engine.spark.distributed: false``): the train rows it reads.

The train features Spark wrote are read on the driver as the local engine reads them when they
have at most ``engine.spark.driver_rows`` rows (so small data trains exactly as locally);
beyond, Spark draws a seeded, stratified sample of that many rows — the same share of each
class, chosen by the rank of a seeded hash of each row's values, so the sample does not depend
on the partitioning — and only the sample is collected. Validation (calibration, threshold,
early stopping) is read whole, as locally.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.engine import tables
from churnlab.engine.sample import stratified_rows
from churnlab.engine.session import spark_session
from churnlab.features.groups import feature_frame
from churnlab.modeling.inputs import inputs

log = logging.getLogger(__name__)


def count_rows(where: str) -> int:
    """Rows of a Parquet file or directory, from the footers only."""
    import pyarrow.dataset as ds

    return ds.dataset(where, format="parquet").count_rows()


def train_inputs(params: Params, uses_features: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """The train X and y of driver training on the Spark engine."""
    sp = params.engine.spark
    relative = (paths.FEATURES if uses_features else paths.SPLIT) / "train.parquet"
    where = tables.location(sp, relative)
    if not tables.external(sp) and count_rows(where) <= sp.driver_rows:
        return inputs(params, "train", uses_features)  # every row: exactly the local result
    frame = tables.read(spark_session(sp), where)
    if frame.count() > sp.driver_rows:
        frame = stratified_rows(frame, sp.driver_rows, sp.sample_seed)
    rows = frame.toArrow().to_pandas()
    log.info("training on the driver from %d train rows collected from Spark", len(rows))
    X = rows.drop(columns=[TARGET]) if uses_features else feature_frame(rows)
    return X, rows[TARGET].to_numpy()
