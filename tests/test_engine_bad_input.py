"""Bad input to the Spark engine (issue 16, Tests): an unreachable master, a missing storage
path and a table without the target column each stop the stage with one clear line and a
non-zero exit, and leave what earlier runs produced in place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from churnlab import io
from churnlab.config import paths
from churnlab.errors import UserError
from conftest import REPO_ROOT, small_params
from test_cli import assert_one_line_error, run_cli, write_params


def spark_params_file(tmp_path: Path, **spark) -> Path:
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["engine"] = {"name": "spark", "spark": {**raw["engine"]["spark"], **spark}}
    return write_params(tmp_path, yaml.safe_dump(raw))


def earlier_outputs(root: Path) -> dict[Path, bytes]:
    """Stand-ins for what an earlier prepare wrote, with their bytes."""
    files = {
        root / paths.PREPARED: b"earlier table",
        root / paths.METRICS / "data_quality.json": b'{"rows_out": 1}',
        root / paths.RAW / "customers.parquet": b"earlier raw",
    }
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


@pytest.mark.parametrize(
    ("spark_conf", "expected"),
    [
        ({"master": "spark://127.0.0.1:9"}, ["engine.spark.master", "not reachable"]),
        ({"storage": "/nonexistent/lake"}, ["engine.spark.storage", "does not exist"]),
    ],
)
def test_prepare_on_spark_stops_before_writing(spark_conf, expected, tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.chdir(tmp_path)
    before = earlier_outputs(tmp_path)
    params = spark_params_file(tmp_path, **spark_conf)
    code, _, err = run_cli(["--params", str(params), "prepare"], capsys)
    assert_one_line_error(code, err, *expected)
    for path, data in before.items():
        assert path.read_bytes() == data, path


@pytest.mark.e2e
def test_a_table_without_the_target_is_one_line(spark, prepared, tmp_path, monkeypatch):
    from churnlab.stages import split

    monkeypatch.chdir(tmp_path)
    io.write_table(prepared.drop(columns=["churned"]), paths.PREPARED)
    earlier = tmp_path / paths.SPLIT / "train.parquet"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"earlier split")
    with pytest.raises(UserError, match="no target column 'churned'") as info:
        split.main(small_params(engine={"name": "spark"}))
    assert "\n" not in str(info.value)
    assert earlier.read_bytes() == b"earlier split"
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["train.parquet"]
