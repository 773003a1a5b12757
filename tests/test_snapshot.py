"""Point-in-time correctness: features use events before the snapshot only, the label after."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.config.columns import TARGET
from churnlab.data.snapshot import Windows, trend_ratio
from conftest import SNAPSHOT, SNAPSHOT_DATE, WINDOWS, snapshot_from_raw, write_raw

FEATURES = [
    "logins_30d",
    "logins_90d",
    "days_since_last_login",
    "spend_30d",
    "spend_90d",
    "failed_payments_90d",
    "tickets_90d",
    "tickets_total",
    "ticket_text",
    "login_trend",
    "spend_trend",
    "tenure_days",
]


def at(days: float) -> pd.Timestamp:
    """A time ``days`` after the snapshot (negative: before)."""
    return SNAPSHOT + pd.Timedelta(days=days)


def hand_made() -> dict[str, pd.DataFrame]:
    """Five customers whose features and labels can be worked out by hand.

    A  active, events on both sides of the snapshot, logs in after it      → stays
    B  logs in just before the snapshot, then only after the churn window  → churns
    C  logs in after the snapshot but closes within the window             → churns
    D  logs in at the very instant of the snapshot, nothing before         → stays
    E  signs up after the snapshot                                         → not in the snapshot
    """
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E"],
            "name": ["Ann A", "Bob B", "Cat C", "Dan D", "Eve E"],
            "signup_date": [at(-500), at(-100), at(-1000), at(-200), at(5)],
            "region": ["north", "South", "Centre", "West", "East"],
            "plan": ["basic"] * 5,
            "contract": ["M2M", "one-year", "two-year", "one-year", "M2M"],
            "age": [30.0, 40.0, 50.0, 60.0, 35.0],
            "monthly_fee": [19.0, 39.0, 69.0, 19.0, 19.0],
            "closed_at": pd.to_datetime([None, None, at(20), None, None]),
        }
    )
    logins = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "B", "B", "C", "D", "E"],
            "login_at": [
                at(-10),
                at(-10),
                at(-60),
                at(10),
                at(-1 / 24),
                at(75),
                at(1),
                at(0),
                at(6),
            ],
        }
    )
    payments = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "A", "B"],
            "paid_at": [at(-15), at(-15), at(-76), at(-20), at(5), at(-40)],
            "amount": [50.0, 50.0, 20.0, 30.0, 999.0, 39.0],
            "status": ["ok", "ok", "ok", "failed", "ok", "ok"],
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": [1, 1, 2, 3, 4],
            "customer_id": ["A", "A", "A", "A", "C"],
            "created_at": [at(-29), at(-29), at(-200), at(2), at(-5)],
            "description": [
                "billing question",
                "billing question",
                "old complaint",
                "I want to cancel",
                "price too high",
            ],
        }
    )
    return {"customers": customers, "logins": logins, "payments": payments, "tickets": tickets}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> pd.DataFrame:
    raw_dir = write_raw(hand_made(), tmp_path_factory.mktemp("tiny"))
    return snapshot_from_raw(raw_dir).set_index("customer_id")


def test_only_active_customers_are_in_the_snapshot(tiny):
    assert list(tiny.index) == ["A", "B", "C", "D"]


def test_features_count_only_events_before_the_snapshot(tiny):
    a = tiny.loc["A"]
    assert a["logins_30d"] == 1  # the login 10 days after is not counted (duplicate row once)
    assert a["logins_90d"] == 2
    assert a["days_since_last_login"] == pytest.approx(10.0)
    assert a["spend_30d"] == pytest.approx(50.0)  # not 999 paid after, not the failed one
    assert a["spend_90d"] == pytest.approx(70.0)
    assert a["failed_payments_90d"] == 1
    assert a["tickets_total"] == 2  # 'I want to cancel' comes after the snapshot
    assert a["tickets_90d"] == 1
    assert a["ticket_text"] == "billing question"
    assert a["tenure_days"] == 500


def test_no_post_snapshot_text_reaches_any_feature(tiny):
    assert not tiny["ticket_text"].str.contains("cancel").any()
    assert tiny.loc["C", "ticket_text"] == "price too high"


def test_login_at_the_snapshot_instant_counts_for_the_label_only(tiny):
    d = tiny.loc["D"]
    assert d["logins_30d"] == 0
    assert d["logins_90d"] == 0
    assert np.isnan(d["days_since_last_login"])
    assert d[TARGET] == 0


def test_customer_without_events_gets_zeros_and_empty_text(tiny):
    d = tiny.loc["D"]
    assert d["spend_90d"] == 0
    assert d["tickets_total"] == 0
    assert d["ticket_text"] == ""


@pytest.mark.parametrize(("customer", "churned"), [("A", 0), ("B", 1), ("C", 1), ("D", 0)])
def test_label_looks_only_after_the_snapshot(tiny, customer, churned):
    assert tiny.loc[customer, TARGET] == churned


def test_last_login_just_before_the_snapshot(tiny):
    assert tiny.loc["B", "days_since_last_login"] == pytest.approx(1 / 24)
    assert tiny.loc["B", "logins_30d"] == 1


def test_customer_attributes_are_carried_and_closed_at_dropped(tiny):
    assert "closed_at" not in tiny.columns
    assert tiny.loc["A", "region"] == "North"  # cleaned before the snapshot
    assert tiny[TARGET].dtype == np.int8


def _with_post_snapshot_events(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every customer gets a login, payment and ticket after the snapshot (some far after)."""
    ids = tables["customers"]["customer_id"].drop_duplicates().astype(str).to_numpy()
    n = len(ids)
    logins = tables["logins"].assign(customer_id=lambda f: f["customer_id"].astype(str))
    payments = tables["payments"].assign(
        customer_id=lambda f: f["customer_id"].astype(str), status=lambda f: f["status"].astype(str)
    )
    tickets = tables["tickets"].assign(customer_id=lambda f: f["customer_id"].astype(str))
    first_ticket = int(tickets["ticket_id"].max()) + 1
    return {
        "customers": tables["customers"],
        "logins": pd.concat(
            [
                logins,
                pd.DataFrame(
                    {
                        "customer_id": np.concatenate([ids, ids]),
                        "login_at": np.concatenate([np.full(n, at(0.001)), np.full(n, at(400))]),
                    }
                ),
            ],
            ignore_index=True,
        ),
        "payments": pd.concat(
            [
                payments,
                pd.DataFrame(
                    {
                        "customer_id": ids,
                        "paid_at": at(1),
                        "amount": 12345.0,
                        "status": np.where(np.arange(n) % 2, "ok", "failed"),
                    }
                ),
            ],
            ignore_index=True,
        ),
        "tickets": pd.concat(
            [
                tickets,
                pd.DataFrame(
                    {
                        "ticket_id": np.arange(first_ticket, first_ticket + n),
                        "customer_id": ids,
                        "created_at": at(2),
                        "description": "leaked future complaint",
                    }
                ),
            ],
            ignore_index=True,
        ),
    }


def test_adding_post_snapshot_events_changes_no_feature(raw_data, snapshot_frame, tmp_path):
    raw_dir = write_raw(_with_post_snapshot_events(raw_data.tables()), tmp_path)
    after = snapshot_from_raw(raw_dir)
    assert after["customer_id"].tolist() == snapshot_frame["customer_id"].tolist()
    pd.testing.assert_frame_equal(
        after.drop(columns=[TARGET]), snapshot_frame.drop(columns=[TARGET])
    )
    # The label did see them: everybody logged in just after the snapshot, so only the
    # customers who close their account within the window still churn.
    closed = (
        raw_data.customers.drop_duplicates("customer_id")
        .set_index("customer_id")["closed_at"]
        .loc[after["customer_id"]]
        .notna()
        .to_numpy()
    )
    assert (after[TARGET].to_numpy() == closed).all()
    assert after[TARGET].sum() < snapshot_frame[TARGET].sum()


def test_adding_post_snapshot_events_changes_no_feature_of_the_hand_made_set(tiny, tmp_path):
    raw_dir = write_raw(_with_post_snapshot_events(hand_made()), tmp_path)
    after = snapshot_from_raw(raw_dir).set_index("customer_id")
    pd.testing.assert_frame_equal(after[FEATURES], tiny[FEATURES])
    assert after[TARGET].to_dict() == {"A": 0, "B": 0, "C": 1, "D": 0}


def test_synthetic_snapshot_invariants(snapshot_frame):
    s = snapshot_frame
    assert s["customer_id"].is_unique
    assert s["customer_id"].is_monotonic_increasing
    assert (s["logins_30d"] <= s["logins_90d"]).all()
    assert (s["spend_30d"] <= s["spend_90d"] + 1e-9).all()
    assert (s["tickets_90d"] <= s["tickets_total"]).all()
    seen = s["days_since_last_login"].dropna()
    assert (seen > 0).all()
    quiet = s["logins_90d"] == 0
    assert (s.loc[quiet, "days_since_last_login"].fillna(np.inf) > 90).all()
    assert (s.loc[~quiet, "days_since_last_login"] <= 90).all()
    assert (s["tenure_days"] >= 0).all()
    assert set(s[TARGET].unique()) == {0, 1}


def test_window_lengths_name_the_columns(raw_dir):
    frame = snapshot_from_raw(raw_dir, Windows(SNAPSHOT_DATE, 30, 7, 28))
    assert {
        "logins_7d",
        "logins_28d",
        "spend_7d",
        "spend_28d",
        "failed_payments_28d",
        "tickets_28d",
    } <= set(frame.columns)
    assert not any(c.endswith(("_short", "_long", "_30d", "_90d")) for c in frame.columns)
    assert (frame["logins_7d"] <= frame["logins_28d"]).all()


def test_window_lengths_change_the_counts(raw_dir, snapshot_frame):
    longer = snapshot_from_raw(raw_dir, Windows(SNAPSHOT_DATE, WINDOWS.churn_window_days, 30, 120))
    assert (longer["logins_120d"] >= snapshot_frame["logins_90d"]).all()
    assert (longer["logins_120d"] > snapshot_frame["logins_90d"]).any()
    pd.testing.assert_series_equal(longer["logins_30d"], snapshot_frame["logins_30d"])


@pytest.mark.parametrize(
    ("short", "long", "expected"),
    [
        (3, 9, 1.0),  # same rate in both parts of the long window
        (0, 0, 1.0),  # quiet customer: smoothing keeps it finite
        (0, 6, 0.25),  # faded away: 0 recent vs 3 per 30 days before
        (7, 7, 8.0),
    ],  # new activity only
)
def test_trend_ratio(short, long, expected):
    assert trend_ratio([short], [long], 30, 90)[0] == pytest.approx(expected)
