"""Multi-table user data: a customers table plus an event log give the synthetic snapshot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.config.columns import TARGET
from churnlab.config.params import parse_params
from churnlab.data import events, privacy, sources
from churnlab.errors import UserError
from churnlab.stages import featurize, prepare, split
from conftest import SALT, SNAPSHOT, WINDOWS, small_params

# The columns the snapshot computes from events, compared with the synthetic path's.
EVENT_FEATURES = [
    "logins_30d",
    "logins_90d",
    "days_since_last_login",
    "login_trend",
    "spend_30d",
    "spend_90d",
    "spend_trend",
    "failed_payments_90d",
    "tickets_90d",
    "tickets_total",
    "ticket_text",
    "tenure_days",
    TARGET,
]

MAPPING = {
    "id": "customer_id",
    "customers": {"signup": "signup_date", "closed": "closed_at"},
    "events": {
        "customer_id": "cust",
        "timestamp": "when",
        "amount": "amount",
        "type": "kind",
        "text": "note",
        "activity_types": ["login"],
        "failed_types": ["payment_failed"],
    },
}


def event_log(raw) -> pd.DataFrame:
    """The synthetic logins, payments and tickets as one log, the way a product exports it."""
    logins = pd.DataFrame(
        {"cust": raw.logins["customer_id"].astype(str), "when": raw.logins["login_at"]}
    ).assign(kind="login")
    payments = pd.DataFrame(
        {
            "cust": raw.payments["customer_id"].astype(str),
            "when": raw.payments["paid_at"],
            "amount": raw.payments["amount"],
            "kind": np.where(raw.payments["status"] == "failed", "payment_failed", "payment"),
        }
    )
    tickets = pd.DataFrame(
        {
            "cust": raw.tickets["customer_id"].astype(str),
            "when": raw.tickets["created_at"],
            "note": raw.tickets["description"],
        }
    ).assign(kind="ticket")
    log = pd.concat([logins, payments, tickets], ignore_index=True)
    return log[["cust", "when", "kind", "amount", "note"]]


def customers_of(raw) -> pd.DataFrame:
    table = raw.customers.drop_duplicates("customer_id").reset_index(drop=True)
    return table.assign(customer_id=table["customer_id"].astype(str))


def events_params(**data):
    base = {"source": "parquet", "path": "customers.parquet", **MAPPING}
    events_file = {"path": "events.parquet", "source": "parquet"}
    base["events"] = {**MAPPING["events"], **events_file, **data.pop("events", {})}
    return small_params(data={**base, **data})


@pytest.fixture(scope="module")
def log(raw_data) -> pd.DataFrame:
    return event_log(raw_data)


@pytest.fixture(scope="module")
def mapped(raw_data, log) -> pd.DataFrame:
    p = events_params().data
    return events.snapshot_table(customers_of(raw_data), log, p, WINDOWS)[0]


def test_same_snapshot_as_the_synthetic_path(mapped, snapshot_frame):
    got = mapped.set_index("customer_id").sort_index()
    want = snapshot_frame.set_index("customer_id").sort_index()
    assert list(got.index) == list(want.index)  # same active customers (late sign-ups out)
    pd.testing.assert_frame_equal(got[EVENT_FEATURES], want[EVENT_FEATURES], check_dtype=False)
    assert 0.05 < got[TARGET].mean() < 0.6


def test_post_snapshot_events_change_no_feature(raw_data, log, mapped):
    ids = mapped["customer_id"].iloc[:200]
    after = pd.DataFrame(
        {
            "cust": np.repeat(ids.to_numpy(), 4),
            "when": np.tile([SNAPSHOT + pd.Timedelta(hours=h) for h in (0, 5, 72, 24)], len(ids)),
            "kind": np.tile(["login", "payment", "ticket", "payment_failed"], len(ids)),
            "amount": np.tile([np.nan, 999.0, np.nan, 5.0], len(ids)),
            "note": np.tile([None, None, "I want to cancel now", None], len(ids)),
        }
    )
    p = events_params().data
    more, figures = events.snapshot_table(
        customers_of(raw_data), pd.concat([log, after], ignore_index=True), p, WINDOWS
    )
    assert figures["rows_read"] == len(log) + len(after)
    features = [c for c in mapped if c != TARGET]  # the all-time features too
    assert {"logins_total", "overdue_ratio", "type_ticket_total"} <= set(features)
    pd.testing.assert_frame_equal(more[features], mapped[features])
    assert not more["ticket_text"].str.contains("cancel now").any()
    # The login at the snapshot instant counts for the label: churners among them now stay.
    changed = more[TARGET] != mapped[TARGET]
    assert changed.any()
    assert set(more.loc[changed, "customer_id"]) <= set(ids)
    assert (more.loc[changed, TARGET] == 0).all()


def test_closure_in_the_window_is_churn_even_with_activity(raw_data, log):
    customers = customers_of(raw_data)
    p = events_params().data
    base = events.snapshot_table(customers, log, p, WINDOWS)[0].set_index("customer_id")
    stayer = base.index[base[TARGET] == 0][0]
    closed = customers.assign(
        closed_at=customers["closed_at"].mask(
            customers["customer_id"] == stayer, SNAPSHOT + pd.Timedelta(days=10)
        )
    )
    again = events.snapshot_table(closed, log, p, WINDOWS)[0].set_index("customer_id")
    assert again.loc[stayer, TARGET] == 1
    assert (again.drop(index=stayer)[TARGET] == base.drop(index=stayer)[TARGET]).all()


def test_minimal_mapping_without_amount_type_or_text(raw_data, log):
    p = events_params(
        customers={"signup": "", "closed": ""},
        events={"amount": "", "type": "", "text": "", "activity_types": [], "failed_types": []},
    ).data
    customers = customers_of(raw_data).drop(columns=["signup_date", "closed_at"])
    table = events.snapshot_table(customers, log, p, WINDOWS)[0]
    assert "spend_90d" not in table and "ticket_text" not in table
    assert "tenure_days" not in table
    assert {"logins_30d", "days_since_last_login", TARGET} <= set(table)
    assert table["logins_90d"].sum() > 0


@pytest.fixture(scope="module")
def stage_run(raw_data, log, tmp_path_factory) -> Path:
    """The real prepare, split and featurize stages on a customers CSV and events Parquet."""
    root = tmp_path_factory.mktemp("events")
    customers_of(raw_data).to_csv(root / "customers.csv", index=False)
    customers_of(raw_data).to_parquet(root / "customers.parquet")  # for the failing runs
    log.to_parquet(root / "events.parquet")
    params = events_params(source="csv", path="customers.csv")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv(privacy.SALT_ENV, SALT.decode())
        for stage in (prepare, split, featurize):
            stage.main(params)
    return root


@pytest.mark.e2e
def test_stage_prepares_the_snapshot(stage_run, snapshot_frame, log):
    prepared = pd.read_parquet(stage_run / "data/prepared/customers.parquet")
    figures = io.read_json(stage_run / "metrics/data_quality.json")["events"]
    assert figures["rows_read"] == len(log)
    assert figures["rows_used"] == len(log.drop_duplicates())  # export duplicates once
    assert len(prepared) == len(snapshot_frame)
    assert prepared[TARGET].mean() == pytest.approx(snapshot_frame[TARGET].mean())
    assert prepared["spend_90d"].sum() == pytest.approx(snapshot_frame["spend_90d"].sum())
    assert "customer_id" not in prepared and "closed_at" not in prepared
    assert not {"name", "email", "phone"} & set(prepared)  # direct identifiers dropped
    columns = io.read_json(stage_run / "data/prepared/schema.json")["columns"]
    assert columns["ticket_text"]["type"] == "text"
    assert columns["logins_30d"]["type"] == "numeric"
    assert columns["type_payment_failed_total"]["type"] == "numeric"  # few values, still counts
    assert columns["signup_date"]["type"] == "datetime"
    names = list(pd.read_parquet(stage_run / "data/features/train.parquet").columns)
    assert any(n.startswith("text__") for n in names)
    assert any("spend_per_login" in n for n in names)  # featurize ratios found their columns


def test_csv_and_parquet_event_logs_read_the_same(raw_data, log, tmp_path):
    small = log[log["cust"].isin(customers_of(raw_data)["customer_id"].iloc[:300])]
    small.to_csv(tmp_path / "e.csv", index=False)
    small.to_parquet(tmp_path / "e.parquet")
    tables = []
    for kind, name in (("csv", "e.csv"), ("parquet", "e.parquet")):
        p = events_params(events={"source": kind, "path": str(tmp_path / name)}).data
        raw = sources.read_events(p)
        customers = customers_of(raw_data).iloc[:300]
        tables.append(events.snapshot_table(customers, raw, p, WINDOWS)[0])
    pd.testing.assert_frame_equal(tables[0], tables[1], check_dtype=False)


def _failing(root: Path, **data) -> str:
    outputs = [root / "data/prepared/customers.parquet", root / "metrics/data_quality.json"]
    before = [p.read_bytes() for p in outputs]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        with pytest.raises(UserError) as info:
            prepare.main(events_params(**data))  # customers.parquet: faster to read
    assert [p.read_bytes() for p in outputs] == before  # nothing overwritten
    return str(info.value)


@pytest.mark.e2e
def test_bad_mappings_fail_clearly_and_keep_outputs(stage_run, log):
    message = _failing(stage_run, events={"timestamp": "time"})
    assert "data.events.timestamp 'time' is not a column" in message and "'when'" in message
    message = _failing(stage_run, customers={"closed": "closing"})
    assert "data.customers.closed 'closing'" in message
    message = _failing(stage_run, snapshot_date="2027-06-30")
    assert "no activity on or after data.snapshot_date 2027-06-30" in message
    log.assign(when=log["when"].astype(str).where(log.index != 5, "soon")).to_csv(
        stage_run / "bad.csv", index=False
    )
    message = _failing(stage_run, events={"source": "csv", "path": "bad.csv"})
    assert "1 value(s) are not dates, e.g. 'soon'" in message
    assert "no such file" in _failing(stage_run, events={"path": "nope.parquet"})


def test_params_need_an_id_and_no_target():
    with pytest.raises(UserError, match=r"data\.events needs data\.id"):
        parse_params({"data": {"source": "csv", "path": "c.csv", "events": {"path": "e.csv"}}})
    with pytest.raises(UserError, match=r"leave data\.target and data\.positive empty"):
        parse_params(
            {
                "data": {
                    "source": "csv",
                    "path": "c.csv",
                    "id": "id",
                    "target": "Churn",
                    "positive": "Yes",
                    "events": {"path": "e.csv"},
                }
            }
        )
    with pytest.raises(UserError, match=r"data\.events\.unknown is not a known key"):
        parse_params({"data": {"events": {"unknown": 1}}})
