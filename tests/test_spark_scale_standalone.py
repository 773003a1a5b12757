"""A standalone Spark cluster on this machine (issue 16, item 9): one master and one worker
started with the pyspark distribution's ``sbin/spark-daemon.sh`` (what ``start-master.sh`` and
``start-worker.sh`` run) on free ports; the featurize stage run as ``churnlab featurize``
against ``spark://127.0.0.1:<port>`` gives the same features as on ``local[2]``. Both daemons
are stopped in a finalizer, whatever happens."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from churnlab import io
from churnlab.config import paths
from conftest import REPO_ROOT, small_params

pytestmark = pytest.mark.e2e
MASTER = "org.apache.spark.deploy.master.Master"
WORKER = "org.apache.spark.deploy.worker.Worker"
START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, log_dir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(1)
    logs = "\n".join(p.read_text()[-2000:] for p in log_dir.glob("*.out"))
    pytest.fail(f"port {port} did not open within {START_TIMEOUT_S} s:\n{logs}")


@pytest.fixture
def standalone(tmp_path, request) -> str:
    """``spark://127.0.0.1:<port>`` of a master with one 2-core worker, stopped at teardown."""
    pytest.importorskip("pyspark", reason="the Spark engine needs pyspark")
    if not shutil.which("java"):
        pytest.skip("the Spark engine needs Java 17 (openjdk-17-jre-headless)")
    import pyspark

    home = Path(pyspark.__file__).parent
    daemon = home / "sbin" / "spark-daemon.sh"
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOG_DIR": str(tmp_path / "logs"),
        "SPARK_PID_DIR": str(tmp_path / "pids"),
        "SPARK_IDENT_STRING": f"churnlab-test-{os.getpid()}",
        # The executors import churnlab: the worker passes its environment on to them.
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }

    def stop() -> None:
        for cls in (WORKER, MASTER):
            subprocess.run(["bash", str(daemon), "stop", cls, "1"], env=env, capture_output=True)
        for pid_file in (tmp_path / "pids").glob("*.pid"):  # in case stop did not
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)

    request.addfinalizer(stop)
    port, worker_dir = free_port(), tmp_path / "work"
    master = f"spark://127.0.0.1:{port}"
    start = ["bash", str(daemon), "start"]
    web = ["--webui-port", str(free_port())]
    subprocess.run(
        [*start, MASTER, "1", "--host", "127.0.0.1", "--port", str(port), *web],
        env=env,
        check=True,
        capture_output=True,
    )
    wait_for_port(port, tmp_path / "logs")
    worker_port = free_port()
    worker = ["--host", "127.0.0.1", "--port", str(worker_port), "--work-dir", str(worker_dir)]
    worker += ["--webui-port", str(free_port()), "--cores", "2", "--memory", "2g", master]
    subprocess.run(
        [*start, WORKER, "1", *worker],
        env=env,
        check=True,
        capture_output=True,
    )
    wait_for_port(worker_port, tmp_path / "logs")
    return master


def write_split(split_parts, where: Path) -> None:
    for name, frame in split_parts.items():
        io.write_table(frame, where / paths.SPLIT / f"{name}.parquet")


def test_featurize_on_a_standalone_master_equals_local_2(
    spark, spark_featurized, standalone, split_parts, tmp_path
):
    cluster = tmp_path / "cluster"
    write_split(split_parts, cluster)
    conf = {
        "spark.pyspark.python": sys.executable,
        "spark.driver.host": "127.0.0.1",
        "spark.executor.memory": "1g",
    }
    params = small_params(engine={"name": "spark", "spark": {"master": standalone, "conf": conf}})
    (cluster / "params.yaml").write_text(
        yaml.safe_dump(params.model_dump(mode="json"), sort_keys=False)  # mapping order matters
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    run = subprocess.run(
        [sys.executable, "-m", "churnlab", "--params", "params.yaml", "featurize"],
        cwd=cluster,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]

    local = spark_featurized  # featurize on the session-wide local[2] (conftest)
    assert spark.sparkContext.master == "local[2]"
    for name in paths.SPLIT_NAMES:
        got = io.read_table(cluster / paths.FEATURES / f"{name}.parquet")
        expected = io.read_table(local / paths.FEATURES / f"{name}.parquet")
        assert list(got.columns) == list(expected.columns)
        assert len(got) == len(split_parts[name]) > 0
        np.testing.assert_allclose(
            got.to_numpy(np.float64), expected.to_numpy(np.float64), rtol=0, atol=1e-12
        )
