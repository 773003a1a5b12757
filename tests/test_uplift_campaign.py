"""The synthetic past campaign (churnlab.data.campaign): what it changes and what it leaves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.data import campaign, synth
from conftest import CHURN_WINDOW_DAYS, SNAPSHOT_DATE, snapshot_from_raw, write_raw

N, SEED, SHARE = 3000, 5, 0.3


def _generate(share: float) -> synth.RawData:
    return synth.generate(N, SEED, SNAPSHOT_DATE, CHURN_WINDOW_DAYS, campaign_share=share)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same customers without and with the campaign, and their snapshots."""
    plain, offered = _generate(0.0), _generate(SHARE)
    snaps = [
        snapshot_from_raw(write_raw(raw.tables(), tmp_path_factory.mktemp(name)))
        for name, raw in (("plain", plain), ("offered", offered))
    ]
    return plain, offered, *snaps


def _rows_of(frame: pd.DataFrame, ids) -> pd.DataFrame:
    keep = frame["customer_id"].astype(str).isin(ids)
    return frame[keep].reset_index(drop=True).astype({"customer_id": str})


def test_no_campaign_leaves_the_generator_unchanged():
    raw = _generate(0.0)
    assert list(raw.truth.columns) == ["customer_id", "churn_probability"]


def test_untreated_customers_and_untouched_tables_are_identical(pair):
    plain, offered, _, _ = pair
    pd.testing.assert_frame_equal(plain.payments, offered.payments)
    pd.testing.assert_frame_equal(plain.tickets, offered.tickets)
    untreated = offered.truth.loc[offered.truth["treated"] == 0, "customer_id"]
    assert 0.6 * N < len(untreated) < 0.8 * N
    for table in ("customers", "logins"):
        pd.testing.assert_frame_equal(
            _rows_of(getattr(plain, table), untreated),
            _rows_of(getattr(offered, table), untreated),
        )
    truth_plain = plain.truth.set_index("customer_id").loc[untreated]
    truth_offered = offered.truth.set_index("customer_id").loc[untreated]
    np.testing.assert_array_equal(
        truth_plain["churn_probability"], truth_offered["churn_probability"]
    )


def test_only_treated_labels_change_and_features_do_not(pair):
    _, offered, snap_plain, snap_offered = pair
    pd.testing.assert_frame_equal(
        snap_plain.drop(columns="churned"), snap_offered.drop(columns="churned")
    )
    truth = offered.truth.set_index("customer_id").loc[snap_plain["customer_id"]]
    before = snap_plain["churned"].to_numpy(dtype=bool)
    changed = before != snap_offered["churned"].to_numpy(dtype=bool)
    assert changed.any()
    assert (truth["treated"].to_numpy()[changed] == 1).all()
    # Persuaded customers stay (positive uplift), provoked ones leave (negative uplift).
    stayed, left = changed & before, changed & ~before
    assert stayed.sum() > 10 and left.sum() > 0
    assert (truth["true_uplift"].to_numpy()[stayed] > 0).all()
    assert (truth["true_uplift"].to_numpy()[left] < 0).all()


def test_effect_is_heterogeneous_with_all_four_kinds(pair):
    _, offered, _, _ = pair
    uplift = offered.truth["true_uplift"].to_numpy()
    assert (uplift > 0.1).mean() > 0.1  # persuadables
    assert (uplift < -0.02).mean() > 0.02  # sleeping dogs
    assert (uplift == 0).mean() > 0.05  # lost causes
    treated = offered.truth["treated"].to_numpy() == 1
    p = offered.truth["churn_probability"].to_numpy()
    np.testing.assert_allclose(offered.truth["propensity"], SHARE)
    # The treated arm's probability is the control one minus the uplift.
    plain = _generate(0.0).truth["churn_probability"].to_numpy()
    np.testing.assert_allclose(p[treated], plain[treated] - uplift[treated])


def test_lost_causes_are_read_from_the_login_trend_the_pipeline_sees(pair):
    """Issue 17: the effect depends on observable columns. A lost cause (no effect) is a
    customer whose ``login_trend`` feature, as the prepare stage computes it from the logins
    table, is below the threshold; everyone else is moved by the offer."""
    _, offered, _, snap = pair
    truth = offered.truth.astype({"customer_id": str}).set_index("customer_id")
    uplift = truth.loc[snap["customer_id"].astype(str), "true_uplift"].to_numpy()
    lost = snap["login_trend"].to_numpy() < campaign.LOST_CAUSE_TREND
    assert 0.05 < lost.mean() < 0.5
    tiny = 1e-12  # p - sigmoid(logit(p) + 0) is zero up to rounding
    assert (np.abs(uplift[lost]) < tiny).all()
    assert (np.abs(uplift[~lost]) > tiny).all()
