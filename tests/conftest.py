"""Shared small fixtures: one synthetic data set, its raw files, snapshot and splits.

Everything is session-scoped and built once (about two seconds in all); tests that change a
frame work on a copy. The prepared table is built the way ``stages/prepare.py`` builds it, and
``prepare_run`` also runs the real stage in a temporary repository for tests of its outputs.
"""

from __future__ import annotations

# ruff: noqa: I001  (churnlab first: it pins the CPU kernels before numpy loads, churnlab/cpu.py)
import churnlab  # noqa: F401

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from churnlab import io
from churnlab.config.columns import TARGET
from churnlab.config.params import FeaturizeParams, Params, parse_params
from churnlab.data import cleaning, privacy, raw_tables, synth
from churnlab.data.snapshot import Windows, build_snapshot
from churnlab.data.splitting import split_customers
from churnlab.stages import prepare

SNAPSHOT_DATE = dt.date(2026, 6, 30)
SNAPSHOT = pd.Timestamp(SNAPSHOT_DATE)
CHURN_WINDOW_DAYS = 60
N_CUSTOMERS = 2000
SEED = 11
SALT = b"churnlab-test-salt"
WINDOWS = Windows(SNAPSHOT_DATE, CHURN_WINDOW_DAYS, 30, 90)

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = REPO_ROOT.parent / "shared" / "data" / "telco_customer_churn.csv"

# A featurize section like params.yaml's, written out so that a sweep editing params.yaml
# cannot change what the unit tests check.
FEATURIZE = {
    "log_columns": ["monthly_fee", "spend_30d", "spend_90d"],
    "scale": True,
    "onehot_min_frequency": 20,
    "ordinal": {"plan": ["basic", "standard", "premium"]},
    "date_columns": ["signup_date"],
    "ratios": {
        "spend_per_login": ["spend_90d", "logins_90d"],
        "tickets_per_tenure_day": ["tickets_total", "tenure_days"],
        "fee_per_login": ["monthly_fee", "logins_30d"],
    },
    "text": {"enabled": True, "max_features": 50, "ngram_max": 2, "min_df": 5},
}


def small_params(**sections: dict) -> Params:
    """Params for a small, fast run; ``sections`` override whole keys of each section."""
    raw: dict = {
        "data": {
            "snapshot_date": SNAPSHOT_DATE.isoformat(),
            "churn_window_days": CHURN_WINDOW_DAYS,
        },
        "synthetic": {"n_customers": N_CUSTOMERS, "seed": SEED},
        "featurize": FEATURIZE,
        "train": {
            "xgboost": {"n_estimators": 200, "early_stopping_rounds": 10, "n_jobs": 1},
            "lightgbm": {"n_estimators": 200, "early_stopping_rounds": 10, "n_jobs": 1},
            "catboost": {"iterations": 200, "early_stopping_rounds": 10, "thread_count": 1},
            "forest": {"n_estimators": 30, "n_jobs": 1},
            "mlp": {"hidden_layer_sizes": [16], "max_iter": 60},
        },
    }
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return parse_params(raw)


def write_raw(tables: dict[str, pd.DataFrame], raw_dir: Path) -> Path:
    for name, table in tables.items():
        io.write_table(table, raw_dir / f"{name}.parquet")
    return raw_dir


def snapshot_from_raw(raw_dir: Path, windows: Windows = WINDOWS) -> pd.DataFrame:
    """Clean + active filter + point-in-time snapshot, as prepare does (ids kept)."""
    con = raw_tables.open_raw(raw_dir)
    try:
        customers, _ = cleaning.clean_customers(con.execute("SELECT * FROM customers_raw").df())
        active = cleaning.active_at(customers, pd.Timestamp(windows.snapshot))
        return build_snapshot(con, customers[active], windows)
    finally:
        con.close()


@pytest.fixture(scope="session")
def raw_data() -> synth.RawData:
    return synth.generate(
        n_customers=N_CUSTOMERS,
        seed=SEED,
        snapshot_date=SNAPSHOT_DATE,
        churn_window_days=CHURN_WINDOW_DAYS,
    )


@pytest.fixture(scope="session")
def raw_dir(raw_data, tmp_path_factory) -> Path:
    return write_raw(raw_data.tables(), tmp_path_factory.mktemp("raw"))


@pytest.fixture(scope="session")
def snapshot_frame(raw_dir) -> pd.DataFrame:
    """The snapshot with raw ids and direct identifiers, before pseudonymisation."""
    return snapshot_from_raw(raw_dir)


@pytest.fixture(scope="session")
def prepared(snapshot_frame) -> pd.DataFrame:
    """The prepared customer table: no direct identifiers, keyed by pseudonym."""
    frame, _ = privacy.drop_direct_identifiers(snapshot_frame)
    frame.insert(0, "customer_key", privacy.pseudonymise(frame.pop("customer_id"), SALT))
    return frame


@pytest.fixture(scope="session")
def split_parts(prepared) -> dict[str, pd.DataFrame]:
    return split_customers(prepared, small_params().split, TARGET)


@pytest.fixture(scope="session")
def featurize_params() -> FeaturizeParams:
    return FeaturizeParams.model_validate(FEATURIZE)


@pytest.fixture(scope="session")
def prepare_run(tmp_path_factory) -> Path:
    """A temporary repository in which the real prepare stage has run on small params."""
    return run_stages(tmp_path_factory.mktemp("repo"), small_params())


@pytest.fixture(scope="session")
def featurized_run(prepare_run) -> Path:
    """``prepare_run`` after the real split and featurize stages."""
    from churnlab.stages import featurize, split

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(prepare_run)
        split.main(small_params())
        featurize.main(small_params())
    return prepare_run


@pytest.fixture(scope="session")
def fitted_featurizer(split_parts, featurize_params):
    from churnlab.features import build_featurizer, feature_frame

    train = feature_frame(split_parts["train"])
    featurizer = build_featurizer(train, featurize_params, SNAPSHOT_DATE)
    return featurizer.fit(train, split_parts["train"][TARGET])


@pytest.fixture(scope="session")
def trained_run(featurized_run, tmp_path_factory) -> Path:
    """A copy of ``featurized_run`` in which the real train stage has run (small XGBoost)."""
    import shutil

    from churnlab.stages import train

    root = tmp_path_factory.mktemp("trained") / "repo"
    shutil.copytree(featurized_run, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        train.main(small_params())
    return root


# Shared Spark runs (suite4): one featurize on the session's local[2] for the tests that compare
# with it (test_spark_featurize.py, test_spark_scale_standalone.py).
@pytest.fixture(scope="session")
def spark_featurized(spark, split_parts, tmp_path_factory) -> Path:
    """A temporary repository in which the featurize stage ran on Spark (the session-wide
    ``local[2]``) over ``split_parts``, with ``small_params(engine={"name": "spark"})``."""
    from churnlab.config import paths
    from churnlab.stages import featurize

    root = tmp_path_factory.mktemp("spark_featurized")
    for name, frame in split_parts.items():
        io.write_table(frame, root / paths.SPLIT / f"{name}.parquet")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        featurize.main(small_params(engine={"name": "spark"}))
    return root


# Spark settings for the tests' short JVMs (suite9): the tests' tables are a few thousand rows,
# so a Spark JVM spends most of its CPU starting up and compiling its own code. C1 only
# (TieredStopAtLevel=1) and the serial collector cut that; neither changes a result. No web UI.
# Used by the session below and by the Spark e2e's dvc run (test_spark_e2e.py). Measured: a
# local[2] session running 31 small jobs (groupBy, join, mapInPandas on 3,000 rows), the whole
# process tree's CPU by cgroup, interleaved: 85 and 96 CPU s without, 49 and 51 with.
SPARK_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
SPARK_TEST_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.extraJavaOptions": SPARK_JVM_OPTIONS,
}


@pytest.fixture(scope="session")
def spark():
    """One ``local[2]`` SparkSession for every Spark test (issue 16); skipped cleanly without
    pyspark or Java."""
    import shutil

    pytest.importorskip("pyspark", reason="the Spark engine needs pyspark")
    if not shutil.which("java"):
        pytest.skip("the Spark engine needs Java 17 (openjdk-17-jre-headless)")
    from churnlab.engine.session import spark_session

    session = spark_session(small_params(engine={"spark": {"conf": SPARK_TEST_CONF}}).engine.spark)
    yield session
    session.stop()


def run_stages(root: Path, params: Params, *stages) -> Path:
    """The real stages (prepare when none is given) run in ``root`` with the test salt."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv(privacy.SALT_ENV, SALT.decode())
        for stage in stages or (prepare,):
            stage.main(params)
    return root


# Longest test files first (suite8): with two xdist workers and `--dist loadfile` a file runs
# whole in one worker, so a long file collected late ran alone at the end (the Spark e2e did,
# for about 6 minutes). Worker seconds per file (rounded; only the order matters), from the
# slowest-30 `--durations` of the last CI rehearsal (stop 17, 1855 passed in 21 min 19 s): the
# sum of a file's entries there, a lower bound; files with no entry there keep the figure of the
# rehearsal before. pyproject's addopts has `--no-loadscope-reorder` so that xdist keeps this
# order instead of sorting files by their number of tests. Files not listed keep their
# collection order after these.
FILE_SECONDS = {
    "test_e2e.py": 485,
    "test_spark_e2e.py": 415,
    "test_spark_pipeline.py": 190,
    "test_spark_userdata.py": 170,
    "test_studies_e2e.py": 150,
    "test_spark_scale_standalone.py": 140,
    "test_ablation.py": 135,
    "test_telco_e2e.py": 95,
    "test_privacy.py": 75,
    "test_spark_prepare.py": 70,
    "test_score_decisions.py": 55,
    "test_spark_featurize.py": 35,
    "test_spark_manifest.py": 20,
    "test_fuzz_api.py": 17,
    "test_bench_real.py": 11,
    "test_study_freshness.py": 10,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: -FILE_SECONDS.get(item.path.name, 0))  # stable: files stay whole
