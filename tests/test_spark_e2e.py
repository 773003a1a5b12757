"""End-to-end on Spark (issue 16, Tests): ``dvc exp run -S engine.name=spark`` on 1,000
customers in a temporary copy of the repository gives the local engine's metrics.

The copy runs the default pipeline up to evaluate on the local engine, then the same pipeline
as an experiment on Spark ``local[2]`` (prepare, split, featurize, training on the driver,
evaluate): the experiment re-runs every stage (each reads ``engine``), and its test ROC-AUC
and threshold equal the local ones to 1e-6.

What it proves is the engines' parity through DVC, not scale (suite9): 1,000 customers (was
2,000); the local run calls each stage's command in this process (``churnlab <stage>``'s own
entry, as ``dvc repro`` would, without a Python start per stage; ``dvc repro`` itself is
test_e2e.py's) and ``dvc commit`` records it in ``dvc.lock``, so the experiment still re-runs
the stages because ``engine.name`` changed; the Spark JVMs of the experiment's stages run with
the tests' JIT settings (``conftest.SPARK_TEST_CONF``), which both runs read alike.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import SPARK_TEST_CONF
from test_e2e import light, run, set_param, tracked_files

pytestmark = pytest.mark.e2e
N_CUSTOMERS = 1000


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    pytest.importorskip("pyspark", reason="the Spark engine needs pyspark")
    if not shutil.which("java"):
        pytest.skip("the Spark engine needs Java 17")
    source = tmp_path_factory.mktemp("spark_e2e") / "source"
    for name in tracked_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(__file__).resolve().parents[1] / name, target)
    run(["git", "init", "-q", "-b", "main"], source)
    run(["git", "add", "-A"], source)
    run(["git", "commit", "-qm", "copy"], source)
    root = source.parent / "repo"
    run(["git", "clone", "-q", str(source), str(root)], source.parent)
    set_param(root, "synthetic.n_customers", N_CUSTOMERS)
    # A small training (one fit, few trees): the check is the engines' equality, not quality.
    set_param(root, "train.refit", "train")
    set_param(root, "train.xgboost.n_estimators", 200)
    set_param(root, "train.xgboost.early_stopping_rounds", 10)
    set_param(root, "train.xgboost.n_jobs", 1)
    # Nor the side stages' figures: no uplift, survival without cross-validation (evaluate reads
    # both), a small SHAP sample and fewer resamples; the local run and the experiment share them.
    # explain_rows under the 150 test customers: evaluate on Spark takes its sampled path.
    light(root, {"uplift.enabled": False, "evaluate.explain_rows": 100})
    set_param(root, "engine.spark.conf", SPARK_TEST_CONF)  # an engine param: both runs read it
    run(["git", "commit", "-qam", "small"], root)
    return root


# dvc.yaml's stages in an order of its graph (`dvc commit dvc.yaml` fails on one left out).
STAGES = ("prepare", "split", "featurize", "train", "baselines", "uplift", "survival", "evaluate")


def run_locally(repo: Path) -> None:
    """Each stage's ``churnlab`` command in this process, in ``repo``, then recorded in
    ``dvc.lock`` as ``dvc repro`` would."""
    from churnlab.cli.main import run as churnlab

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo)
        for stage in STAGES:
            assert churnlab([stage]) == 0, stage
    run(["dvc", "commit", "-f", "dvc.yaml"], repo)


def test_exp_run_on_spark_equals_the_local_engine(repo: Path) -> None:
    run_locally(repo)
    local = json.loads((repo / "metrics/evaluate.json").read_text())
    local_train = json.loads((repo / "metrics/train.json").read_text())
    result = run(["dvc", "exp", "run", "-S", "engine.name=spark", "evaluate"], repo)
    ran = {line.split("'")[1] for line in result.stdout.splitlines() if line.startswith("Running")}
    assert {"prepare", "split", "featurize", "train", "evaluate"} <= ran, result.stdout
    assert (repo / "data/prepared/customers.parquet").is_dir()  # written by Spark
    assert (repo / "data/split/test.parquet").is_dir()
    on_spark = json.loads((repo / "metrics/evaluate.json").read_text())
    spark_train = json.loads((repo / "metrics/train.json").read_text())
    assert on_spark.keys() == local.keys()
    assert on_spark["roc_auc"] == pytest.approx(local["roc_auc"], abs=1e-6)
    assert 0.6 < on_spark["roc_auc"] < 1.0
    assert spark_train["threshold"] == pytest.approx(local_train["threshold"], abs=1e-6)
    shown = json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout)
    names = [e for rev in shown for e in (rev.get("experiments") or [])]
    assert names, "the experiment is listed in dvc exp show"
