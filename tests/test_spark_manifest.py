"""Tables outside the repository (``engine.spark.storage``): the split stage writes them to the
storage and a manifest into the repository, which changes when the table changes and only then;
a missing storage path and an unreachable master are one clear line (issue 16)."""

from __future__ import annotations

import pytest

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.engine import SparkParams
from churnlab.data.splitting import split_customers
from churnlab.engine.manifest import manifest_path
from churnlab.engine.session import check_reachable
from churnlab.errors import UserError
from churnlab.stages import split
from conftest import small_params

pytestmark = pytest.mark.e2e


def test_manifest_follows_the_external_table(spark, prepared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    storage = tmp_path / "lake"
    storage.mkdir()
    io.write_table(prepared, paths.PREPARED)
    params = small_params(engine={"name": "spark", "spark": {"storage": storage.as_uri()}})
    split.main(params)
    where = manifest_path(paths.SPLIT / "train.parquet")
    first = io.read_json(where)
    assert (storage / "split/train.parquet").is_dir()
    assert not (paths.SPLIT / "train.parquet").exists()  # the table stays in the storage
    local = split_customers(prepared, params.split, TARGET)
    assert first["rows"] == len(local["train"])
    assert first["location"] == f"{storage.as_uri()}/split/train.parquet"
    assert {f["name"] for f in first["schema"]["fields"]} == set(prepared.columns)
    split.main(params)  # the same input: a new write, the same manifest
    assert io.read_json(where)["fingerprint"] == first["fingerprint"]
    changed = prepared.assign(age=prepared["age"] + 1)
    io.write_table(changed, paths.PREPARED)
    split.main(params)
    assert io.read_json(where)["fingerprint"] != first["fingerprint"]
    assert io.read_json(where)["rows"] == first["rows"]


def test_missing_storage_is_one_clear_line(spark, prepared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    io.write_table(prepared, paths.PREPARED)
    params = small_params(engine={"name": "spark", "spark": {"storage": str(tmp_path / "nope")}})
    with pytest.raises(UserError, match=r"engine.spark.storage .* does not exist"):
        split.main(params)


def test_unreachable_master_is_one_clear_line():
    with pytest.raises(UserError, match="is not reachable"):
        check_reachable(SparkParams(master="spark://127.0.0.1:9").master)
    check_reachable("local[2]")  # nothing to reach
