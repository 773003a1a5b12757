"""prepare on Spark for a user's own data equals the local engine (issue 16): a customers CSV
plus an event log through prepare, split, featurize and train (on the driver) on both engines
gives the same prepared rows and keys, the same split, features to 1e-9 and the same test
ROC-AUC; a single user CSV (decimal commas, blanks, names and emails) the same prepared table,
schema and quality figures; the catalog and JDBC readers map their options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.engine import user_sources
from churnlab.errors import UserError
from churnlab.features.groups import feature_frame
from churnlab.stages import featurize, prepare, split, train
from conftest import run_stages
from test_events import customers_of, event_log, events_params
from test_userdata import churn_table, user_params

# One small pipeline per engine and a Spark session: minutes on a loaded 2-core machine.
pytestmark = pytest.mark.e2e

RECORDS = (paths.SCHEMA, paths.METRICS / "data_quality.json", paths.RAW / "source.json")


def on_engine(params, name: str):
    return params.model_copy(update={"engine": params.engine.model_copy(update={"name": name})})


def quick_training(params):
    """User data selects its model (``train.select: auto``): against one cheap candidate, not
    four, and without the train+valid refit (seven more fits), on both engines alike; the
    check is the engines' equality (test_spark_pipeline.py runs the refit on Spark)."""
    quick = {"candidates": ["logreg"], "refit": "train"}
    return params.model_copy(update={"train": params.train.model_copy(update=quick)})


@pytest.fixture(scope="module")
def event_runs(spark, raw_data, tmp_path_factory) -> dict:
    """A customers CSV and an event-log Parquet through prepare → train on each engine."""
    roots = {}
    for engine in ("local", "spark"):
        root = tmp_path_factory.mktemp(f"events_{engine}")
        customers_of(raw_data).to_csv(root / "customers.csv", index=False)
        event_log(raw_data).to_parquet(root / "events.parquet")
        params = on_engine(events_params(source="csv", path="customers.csv"), engine)
        roots[engine] = run_stages(root, quick_training(params), prepare, split, featurize, train)
    return roots


def assert_same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert got[CUSTOMER_KEY].tolist() == expected[CUSTOMER_KEY].tolist()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=0, atol=1e-9)


def assert_same_records(local, on_spark) -> None:
    for relative in RECORDS:
        assert io.read_json(on_spark / relative) == io.read_json(local / relative), relative


def test_event_log_prepared_rows_keys_and_records_equal(event_runs):
    local, on_spark = event_runs["local"], event_runs["spark"]
    assert (on_spark / paths.PREPARED).is_dir()  # really written by Spark
    expected = io.read_table(local / paths.PREPARED)
    assert_same_table(io.read_table(on_spark / paths.PREPARED), expected)
    assert {"logins_90d", "spend_total", "type_login_total"} <= set(expected.columns)
    assert_same_records(local, on_spark)
    events = io.read_json(on_spark / paths.METRICS / "data_quality.json")["events"]
    assert events["rows_used"] > events["customers_active_at_snapshot"] > 0


def test_event_log_split_and_features_equal(event_runs):
    local, on_spark = event_runs["local"], event_runs["spark"]
    for part in ("train", "valid", "test"):
        a = io.read_table(local / paths.SPLIT / f"{part}.parquet")
        b = io.read_table(on_spark / paths.SPLIT / f"{part}.parquet")
        assert b[CUSTOMER_KEY].tolist() == a[CUSTOMER_KEY].tolist(), part
        a = io.read_table(local / paths.FEATURES / f"{part}.parquet")
        b = io.read_table(on_spark / paths.FEATURES / f"{part}.parquet")
        pd.testing.assert_frame_equal(b, a, check_dtype=False, rtol=0, atol=1e-9)


def test_event_log_driver_training_gives_the_same_test_roc_auc(event_runs):
    test = io.read_table(event_runs["local"] / paths.SPLIT / "test.parquet")
    aucs = []
    for root in event_runs.values():
        pipeline = package.load(root / "models/pipeline.skops")
        scores = pipeline.predict_proba(feature_frame(test))[:, 1]
        aucs.append(roc_auc_score(test[TARGET], scores))
    assert aucs[1] == pytest.approx(aucs[0], abs=1e-6)
    assert 0.6 < aucs[0] < 1.0
    a, b = (io.read_json(root / "metrics/train.json") for root in event_runs.values())
    assert b["threshold"] == pytest.approx(a["threshold"], abs=1e-6)


@pytest.fixture(scope="module")
def table_runs(spark, tmp_path_factory) -> dict:
    """test_userdata's CSV (';' separated, decimal commas, blanks, names, emails) prepared on
    each engine."""
    roots = {}
    for engine in ("local", "spark"):
        root = tmp_path_factory.mktemp(f"table_{engine}")
        churn_table().to_csv(root / "in.csv", sep=";", index=False)
        roots[engine] = run_stages(root, on_engine(user_params(root / "in.csv"), engine))
    return roots


def test_user_csv_prepared_table_schema_and_quality_equal(table_runs):
    local, on_spark = table_runs["local"], table_runs["spark"]
    assert (on_spark / paths.PREPARED).is_dir()
    expected = io.read_table(local / paths.PREPARED)
    assert_same_table(io.read_table(on_spark / paths.PREPARED), expected)
    assert_same_records(local, on_spark)
    dq = io.read_json(on_spark / paths.METRICS / "data_quality.json")
    assert {"full_name", "contact", "tel"} <= set(dq["privacy"])  # identifiers dropped
    assert "cancelled_flag" in dq["leakage"] and dq["columns"]["plan"]["distinct"] == 3


def test_catalog_table_reads_as_a_source(spark):
    table = churn_table(50)
    spark.createDataFrame(table.astype({"signup": "datetime64[us]"})).createOrReplaceTempView(
        "crm_customers"
    )
    frame = user_sources.read(
        spark, "sql", user_sources.CATALOG, "", "crm_customers", {"Status"}, "data.path"
    )
    got = frame.orderBy(user_sources.ROW).drop(user_sources.ROW).toPandas()
    assert got["CustomerRef"].tolist() == table["CustomerRef"].tolist()
    query = "SELECT CustomerRef FROM crm_customers WHERE tenure = ' '"
    picked = user_sources.read(spark, "sql", "catalog", query, "", set(), "data.path")
    assert picked.count() == (table["tenure"] == " ").sum() > 0


def test_unreadable_sql_sources_fail_with_one_line(spark, tmp_path):
    with pytest.raises(UserError, match="jdbc: URL or 'catalog'"):
        user_sources.read(spark, "sql", "sqlite:///x.db", "", "t", set(), "data.path")
    with pytest.raises(UserError, match="Spark cannot read it") as error:
        user_sources.read(spark, "sql", f"jdbc:nodriver:{tmp_path}/x", "", "t", set(), "data.path")
    assert "\n" not in str(error.value)
    with pytest.raises(UserError, match="no such file or directory"):
        user_sources.read(spark, "csv", str(tmp_path / "none.csv"), "", "", set(), "data.path")


def campaign_table(empty_rows: int = 0) -> pd.DataFrame:
    """test_userdata's CSV with a past campaign: ``treated`` is ``offer`` or ``none`` (the first
    rows blank when asked), offered more often to short-tenure customers, so the balance is not
    trivial."""
    table = churn_table()
    rng = np.random.default_rng(8)
    tenure = pd.to_numeric(table["tenure"], errors="coerce").fillna(36)
    treated = (rng.random(len(table)) < np.where(tenure < 24, 0.6, 0.3)).astype(int)
    table["treated"] = np.where(treated == 1, "offer", "none").astype(object)
    table.loc[: empty_rows - 1, "treated"] = None
    return table


def campaign_params(path):
    params = user_params(path)
    uplift = params.uplift.model_copy(update={"treated_value": "offer"})
    return params.model_copy(update={"uplift": uplift})


def test_a_past_campaigns_balance_equals_the_local_report(spark, tmp_path_factory):
    """A user CSV with the ``uplift.treatment`` column: the balance by Spark aggregates (the
    one SMD formula) equals the local engine's report, and so does every other record."""
    roots = {}
    for engine in ("local", "spark"):
        root = tmp_path_factory.mktemp(f"campaign_{engine}")
        campaign_table().to_csv(root / "in.csv", sep=";", index=False)
        roots[engine] = run_stages(root, on_engine(campaign_params(root / "in.csv"), engine))
    assert_same_records(roots["local"], roots["spark"])
    balance = io.read_json(roots["spark"] / paths.METRICS / "data_quality.json")["campaign_balance"]
    assert balance["treated"] + balance["control"] == len(campaign_table())
    assert {"fee", "tenure"} <= set(balance["smd"]) and "treated" not in balance["smd"]
    assert balance["smd"]["tenure"] < -0.1  # offered to short tenures


def test_a_blank_treatment_is_the_local_error_before_anything_is_written(spark, tmp_path):
    messages = []
    for engine in ("local", "spark"):
        root = tmp_path / engine
        root.mkdir()
        campaign_table(empty_rows=3).to_csv(root / "in.csv", sep=";", index=False)
        with pytest.raises(UserError) as caught:
            run_stages(root, on_engine(campaign_params(root / "in.csv"), engine))
        messages.append(str(caught.value).replace(str(root), "ROOT"))
        assert not (root / paths.PREPARED).exists()
    assert messages[1] == messages[0]
    assert "'treated' has 3 empty rows" in messages[0]
