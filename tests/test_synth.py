"""The synthetic generator: reproducible, realistic mess, a sane label and a hidden truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from churnlab.data import synth
from conftest import CHURN_WINDOW_DAYS, N_CUSTOMERS, SNAPSHOT, SNAPSHOT_DATE

SMALL = 300


def small(seed: int) -> synth.RawData:
    return synth.generate(SMALL, seed, SNAPSHOT_DATE, CHURN_WINDOW_DAYS)


def test_same_seed_gives_identical_tables():
    first, second = small(3), small(3)
    for name, table in first.tables().items():
        pd.testing.assert_frame_equal(table, second.tables()[name], obj=name)
    pd.testing.assert_frame_equal(first.truth, second.truth)


def test_different_seed_gives_different_tables():
    first, second = small(3), small(4)
    assert not first.customers.equals(second.customers)
    assert not first.logins.equals(second.logins)
    assert not np.allclose(first.truth["churn_probability"], second.truth["churn_probability"])


def test_tables_have_the_documented_columns(raw_data):
    assert {
        "customer_id",
        "name",
        "email",
        "phone",
        "signup_date",
        "age",
        "region",
        "plan",
        "contract",
        "monthly_fee",
        "payment_method",
        "satisfaction",
        "closed_at",
    } <= set(raw_data.customers.columns)
    assert list(raw_data.logins.columns) == ["customer_id", "login_at"]
    assert list(raw_data.payments.columns) == ["customer_id", "paid_at", "amount", "status"]
    assert list(raw_data.tickets.columns) == [
        "ticket_id",
        "customer_id",
        "created_at",
        "description",
    ]
    assert set(raw_data.payments["status"].astype(str)) == {"ok", "failed"}


def test_label_rate_is_sane(raw_data):
    rate = raw_data.truth["churn_probability"].mean()
    assert 0.05 < rate < 0.4


def test_truth_has_one_row_per_customer_known_at_the_snapshot(raw_data):
    truth = raw_data.truth
    assert truth["customer_id"].is_unique
    assert len(truth) == N_CUSTOMERS
    customers = raw_data.customers.drop_duplicates("customer_id")
    before = customers.loc[customers["signup_date"] < SNAPSHOT, "customer_id"]
    assert set(truth["customer_id"]) == set(before)
    p = truth["churn_probability"]
    assert ((p > 0) & (p < 1)).all()
    assert p.std() > 0.05  # the hazard really differs between customers


def test_late_signups_exist_and_only_log_in_after_the_snapshot(raw_data):
    customers = raw_data.customers
    late = customers.loc[customers["signup_date"] > SNAPSHOT, "customer_id"].unique()
    assert len(late) >= N_CUSTOMERS // 100
    logins = raw_data.logins
    late_logins = logins[logins["customer_id"].astype(str).isin(late)]
    assert len(late_logins) >= len(late)
    assert (late_logins["login_at"] >= SNAPSHOT).all()


def test_customers_have_duplicate_rows(raw_data):
    customers = raw_data.customers
    assert customers.duplicated().sum() > 0
    assert customers["customer_id"].duplicated().sum() == customers.duplicated().sum()


@pytest.mark.parametrize(
    ("column", "canonical"),
    [
        ("region", set(synth.REGIONS)),
        ("contract", set(synth.CONTRACTS)),
        ("payment_method", set(synth.PAYMENT_METHODS)),
    ],
)
def test_categories_have_spelling_variants(raw_data, column, canonical):
    values = set(raw_data.customers[column].dropna())
    variants = values - canonical
    assert variants, f"no messy spellings in {column}"
    allowed = {v for vs in synth.MESSY_SPELLINGS[column].values() for v in vs}
    assert variants <= allowed


def test_missing_and_impossible_values_are_present(raw_data):
    customers = raw_data.customers
    assert customers["age"].isna().sum() > 0
    assert (customers["age"] == 200).sum() > 0
    assert customers["monthly_fee"].isna().sum() > 0
    assert customers["satisfaction"].isna().sum() > 0


def test_fees_have_outliers(raw_data):
    fee = raw_data.customers["monthly_fee"].dropna()
    typical = fee.median()
    assert (fee > 5 * typical).sum() > 0


def test_events_reference_known_customers_only(raw_data):
    known = set(raw_data.customers["customer_id"])
    for name in ("logins", "payments", "tickets"):
        ids = set(raw_data.tables()[name]["customer_id"].astype(str))
        assert ids <= known, name


def test_payments_and_tickets_lie_before_the_snapshot(raw_data):
    assert (raw_data.payments["paid_at"] < SNAPSHOT).all()
    assert (raw_data.tickets["created_at"] < SNAPSHOT).all()
    assert raw_data.tickets["ticket_id"].is_unique


def test_closures_fall_inside_the_churn_window(raw_data):
    closed = raw_data.customers["closed_at"].dropna()
    assert len(closed) > 0
    assert (closed >= SNAPSHOT).all()
    assert (closed <= SNAPSHOT + pd.Timedelta(days=CHURN_WINDOW_DAYS)).all()


def test_observed_label_follows_the_truth(snapshot_frame, raw_data):
    """The label written into the raw data is drawn from the hidden churn probability."""
    truth = raw_data.truth.set_index("customer_id")["churn_probability"]
    p = truth.loc[snapshot_frame["customer_id"]].to_numpy()
    y = snapshot_frame["churned"].to_numpy()
    assert abs(y.mean() - p.mean()) < 0.03
    assert roc_auc_score(y, p) > 0.75
