"""Stage featurize: fit the featurizer on train only, transform every split.

Writes the fitted featurizer (``models/featurizer.skops``) and the feature matrices with
their names and labels (``data/features/<split>.parquet``).
"""

from __future__ import annotations

import logging

from churnlab import io, package, paths
from churnlab.features import build_featurizer, feature_frame
from churnlab.params import Params
from churnlab.snapshot import TARGET

log = logging.getLogger(__name__)


def main(params: Params) -> None:
    parts = {name: io.read_table(paths.SPLIT / f"{name}.parquet") for name in paths.SPLIT_NAMES}
    train = feature_frame(parts["train"])
    # The schema prepare inferred (absent in repositories prepared before it existed).
    schema = io.read_json(paths.SCHEMA) if paths.SCHEMA.exists() else None
    featurizer = build_featurizer(train, params.featurize, params.data.snapshot_date, schema)
    featurizer.fit(train, parts["train"][TARGET])
    for name, frame in parts.items():
        matrix = featurizer.transform(feature_frame(frame)).astype("float32")
        matrix[TARGET] = frame[TARGET].to_numpy()
        io.write_table(matrix, paths.FEATURES / f"{name}.parquet")
        log.info("%s: %d rows x %d features", name, len(matrix), matrix.shape[1] - 1)
    package.save(featurizer, paths.FEATURIZER)
