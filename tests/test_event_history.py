"""All-time event-log features against a hand-built log with hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from churnlab.config.params import parse_params
from churnlab.data import events
from churnlab.data.event_history import type_column
from churnlab.errors import UserError
from conftest import WINDOWS

# Snapshot 2026-06-30. a: purchases on 06-01 (10) and 06-20 (30), a visit on 06-11, a failed
# payment on 06-05 (not activity, not spend); b: one purchase on 05-31 (5); c: events after
# the snapshot only; d: no events. e keeps the log's activity going after the snapshot.
LOG = pd.DataFrame(
    [
        ("a", "2026-06-01", 10.0, "purchase"),
        ("a", "2026-06-05", 50.0, "payment_failed"),
        ("a", "2026-06-11", None, "visit"),
        ("a", "2026-06-20", 30.0, "purchase"),
        ("b", "2026-05-31", 5.0, "purchase"),
        ("c", "2026-07-02", 1.0, "purchase"),
        ("e", "2026-09-01", None, "visit"),
    ],
    columns=["cust", "when", "amount", "kind"],
)
CUSTOMERS = pd.DataFrame({"customer_id": list("abcd"), "plan": ["x", "y", "x", "y"]})
NAN = math.nan
# Hand-computed: a's activity gaps are 10 and 9 days, its last activity 10 days before.
EXPECTED = {
    "logins_total": [3, 1, 0, 0],
    "spend_total": [40.0, 5.0, 0.0, 0.0],
    "spend_mean": [20.0, 5.0, NAN, NAN],
    "days_since_first_event": [29.0, 30.0, NAN, NAN],
    "gap_mean_days": [9.5, NAN, NAN, NAN],
    "gap_last_days": [9.0, NAN, NAN, NAN],
    "overdue_ratio": [10 / 9.5, NAN, NAN, NAN],
    "type_purchase_total": [2, 1, 0, 0],
    "type_payment_failed_total": [1, 0, 0, 0],
    "type_visit_total": [1, 0, 0, 0],
}


def params(**events_keys):
    mapping = {
        "path": "events.csv",
        "customer_id": "cust",
        "timestamp": "when",
        "amount": "amount",
        "type": "kind",
        "activity_types": ["purchase", "visit"],
        "failed_types": ["payment_failed"],
        **events_keys,
    }
    data = {"source": "csv", "path": "customers.csv", "id": "customer_id", "events": mapping}
    data |= {"snapshot_date": WINDOWS.snapshot.isoformat(), "churn_window_days": 60}
    return parse_params({"data": data}).data


def table(log=LOG, customers=CUSTOMERS, **events_keys) -> pd.DataFrame:
    return events.snapshot_table(customers, log, params(**events_keys), WINDOWS)[0]


def test_each_feature_matches_the_hand_computed_value():
    got = table().set_index("customer_id")
    for column, values in EXPECTED.items():
        np.testing.assert_allclose(got[column], values, err_msg=column)
    assert got["type_purchase_total"].dtype == "int64"
    assert got.loc["a", "days_since_last_login"] == 10.0  # recency exists already: not repeated
    assert not {"recency", "days_since_last_event"} & set(got)


def test_events_after_the_snapshot_change_nothing():
    after = pd.DataFrame(
        [(c, "2026-06-30", 999.0, "purchase") for c in "abcd"]
        + [(c, "2026-07-15", 999.0, "payment_failed") for c in "abcd"]
        + [(c, "2026-08-01", None, "brand_new_type") for c in "abcd"],
        columns=LOG.columns,
    )
    base, more = table(), table(pd.concat([LOG, after], ignore_index=True))
    features = [c for c in base if c != "churned"]
    pd.testing.assert_frame_equal(more[features], base[features])
    assert list(more) == list(base)  # no column for a type seen only after the snapshot
    assert (more["churned"] == 0).all() and base["churned"].sum() == 3


def test_rare_types_are_grouped_beyond_max_types():
    got = table(all_time={"max_types": 1}).set_index("customer_id")
    assert [c for c in got if c.startswith("type_")] == ["type_purchase_total", "type_other_total"]
    assert list(got["type_other_total"]) == [2, 0, 0, 0]  # a's visit and failed payment


def test_families_switch_off_and_need_their_columns():
    off = {"frequency": False, "monetary": False, "age": False, "gaps": False}
    got = table(all_time={**off, "type_counts": False})
    assert not set(EXPECTED) & set(got)
    assert "logins_90d" in got  # the windowed features stay
    bare = table(amount="", type="", activity_types=[], failed_types=[])
    assert "logins_total" in bare and "gap_mean_days" in bare
    assert not [c for c in bare if c.startswith(("spend_", "type_"))]
    # Without activity types every event is activity: a's failed payment shortens its gaps.
    assert bare.set_index("customer_id").loc["a", "gap_mean_days"] == pytest.approx(19 / 3)


def test_prepared_schema_types_the_new_columns():
    frame = table()
    prepared = events.as_single_table(params(), frame, WINDOWS)
    for column in ("logins_total", "overdue_ratio", "type_visit_total"):
        assert prepared.columns[column].type == "numeric"
    assert "plan" not in prepared.columns  # user columns keep their inferred type


def test_type_names_are_readable_and_unique():
    assert type_column("Page View", set()) == "type_page_view_total"
    assert type_column("page-view", {"type_page_view_total"}) == "type_page_view_2_total"
    assert type_column("other", set()) == "type_other_2_total"
    assert type_column("  ", set()) == "type_blank_total"


def test_a_customers_column_with_a_generated_name_fails():
    with pytest.raises(UserError, match=r"type_visit_total"):
        table(customers=CUSTOMERS.assign(type_visit_total=1))


@pytest.mark.parametrize(
    ("log", "message"),
    [
        (
            LOG.assign(amount=["1", "x", " ", "2", None, "4", "5"]),
            "data.events.amount 'amount' in the event log events.csv: 1 value(s) are not "
            "numbers, e.g. 'x'",
        ),
        (LOG.assign(when=None), "data.events.timestamp 'when' in the event log events.csv has no"),
        (LOG.assign(when="soon"), "7 value(s) are not dates, e.g. 'soon'"),
    ],
)
def test_bad_event_logs_fail_clearly(log, message):
    with pytest.raises(UserError) as info:
        table(log)
    assert message in str(info.value)
