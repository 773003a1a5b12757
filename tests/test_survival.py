"""Durations and censoring: hand-built event logs, the synthetic follow-up, user data, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab.config.params import parse_params
from churnlab.data import synth
from churnlab.errors import UserError
from churnlab.survival import sources
from churnlab.survival.durations import check_target, durations

SNAP = pd.Timestamp("2026-01-01")
END = pd.Timestamp("2026-12-27")  # 360 days after the snapshot


def day(n: float) -> pd.Timestamp:
    return SNAP + pd.Timedelta(days=n)


def log(rows: list[tuple[str, float]]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [c for c, _ in rows], "ts": [day(n) for _, n in rows]})


def one(customers, rows, inactivity=60) -> pd.DataFrame:
    return durations(customers, log(rows), SNAP, END, inactivity).set_index("customer_id")


def test_inactivity_and_closure_give_the_event_time():
    customers = pd.DataFrame(
        {
            "customer_id": ["gap", "quiet_end", "closed", "active"],
            "closed_at": [pd.NaT, pd.NaT, day(45.5), pd.NaT],
        }
    )
    rows = [("gap", 10), ("gap", 40), ("gap", 130), ("gap", 150)]  # 90 silent days after day 40
    rows += [("quiet_end", d) for d in range(10, 251, 30)]  # silent from day 250 (110 days)
    rows += [("closed", 5), ("closed", 30)]
    rows += [("active", d) for d in range(10, 360, 30)]
    out = one(customers, rows)
    assert out.loc["gap"].tolist() == [40.0, True]
    assert out.loc["quiet_end"].tolist() == [250.0, True]
    assert out.loc["closed"].tolist() == [46.0, True]  # whole days, rounded up
    assert out.loc["active"].tolist() == [340.0, False]  # censored at the last activity seen


def test_an_event_after_the_end_of_history_is_censored():
    customers = pd.DataFrame({"customer_id": ["late"], "closed_at": [day(400)]})
    rows = [("late", d) for d in range(5, 360, 25)] + [("late", 500)]
    out = one(customers, rows)
    assert not out.loc["late", "churned_event"]
    assert out.loc["late", "duration_days"] == 355


def test_nothing_before_the_snapshot_reaches_the_duration():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "closed_at": [day(-3), pd.NaT]})
    rows = [("b", -200), ("b", -1)] + [("b", d) for d in range(30, 360, 40)]
    out = one(customers, rows)
    assert "a" not in out.index  # closed before the snapshot: never at risk
    # b's first activity after the snapshot is 30 days in: no gap of 60 days, so no churn at 0
    # (the logins before the snapshot would otherwise have made the gap 31 days from day -1).
    assert out.loc["b"].tolist() == [350.0, False]
    quiet = one(pd.DataFrame({"customer_id": ["q"]}), [("q", -1), ("q", 70)])
    assert quiet.loc["q"].tolist() == [1.0, True]  # no activity in the first window: churn at 0


def test_durations_refuse_bad_input():
    customers = pd.DataFrame({"customer_id": ["a"]})
    with pytest.raises(UserError, match="timestamps"):
        durations(customers, pd.DataFrame({"customer_id": ["a"], "ts": ["soon"]}), SNAP, END, 60)
    with pytest.raises(UserError, match="before the snapshot"):
        durations(customers, log([("a", 1)]), SNAP, day(-5), 60)
    with pytest.raises(UserError, match="not positive"):
        check_target(np.array([3.0, -2.0]), np.array([1, 0]), "x")
    with pytest.raises(UserError, match="no customer churned"):
        check_target(np.array([3.0, 2.0]), np.array([0, 0]), "x")


def test_follow_up_leaves_the_raw_tables_byte_identical():
    plain = synth.generate(600, 3, dt.date(2026, 6, 30), 60, 180)
    longer = synth.generate(600, 3, dt.date(2026, 6, 30), 60, 180, follow_up_days=365)
    for name, table in plain.tables().items():
        pd.testing.assert_frame_equal(table, longer.tables()[name])
    pd.testing.assert_frame_equal(plain.truth, longer.truth)
    assert plain.follow_up is None
    follow = longer.follow_up
    assert set(follow["kind"]) == {"login", "closed"}
    assert follow["at"].min() > pd.Timestamp("2026-06-30")
    assert follow["at"].max() < pd.Timestamp("2026-06-30") + pd.Timedelta(days=365)


def test_synthetic_durations_agree_with_the_churn_window():
    params = parse_params({"synthetic": {"n_customers": 800, "seed": 5}})
    table, truth = sources.synthetic_durations(params)
    share = params.synthetic.campaign_share
    raw = synth.generate(800, 5, params.data.snapshot_date, 60, 180, campaign_share=share)
    closed = raw.customers.drop_duplicates("customer_id").set_index("customer_id")["closed_at"]
    closers = closed[closed.notna()].index
    t = table.set_index("customer_id")
    assert t.loc[closers, "churned_event"].all()
    assert (t.loc[closers, "duration_days"] <= 60).all()
    assert t["duration_days"].between(1, 365).all()
    assert 0.2 < t["churned_event"].mean() < 0.8  # events beyond the window exist
    assert (t.loc[t["churned_event"], "duration_days"] > 60).any()
    # a higher true churn probability means churning sooner
    p = truth.set_index("customer_id")["churn_probability"].reindex(t.index)
    early = t["churned_event"] & (t["duration_days"] <= 90)
    assert p[early].mean() > p[~early].mean() + 0.1


def window_label(raw, snapshot: pd.Timestamp, window: int) -> pd.Series:
    """The label as prepare's snapshot defines it: closed within the window or no login in it."""
    customers = raw.customers.drop_duplicates("customer_id").set_index("customer_id")
    end = snapshot + pd.Timedelta(days=window)
    closed = customers["closed_at"].notna() & (customers["closed_at"] < end)
    at = raw.logins["login_at"]
    inside = raw.logins.loc[(at >= snapshot) & (at < end), "customer_id"].astype("str")
    return closed | ~customers.index.isin(inside)


@pytest.mark.e2e
def test_durations_follow_the_label_the_campaign_produced():
    snapshot = pd.Timestamp("2026-06-30")
    raw = synth.generate(3000, 8, snapshot.date(), 60, 180, "none", 365, 0.5)
    no_follow_up = synth.generate(3000, 8, snapshot.date(), 60, 180, "none", 0, 0.5)
    for name, table in no_follow_up.tables().items():  # the follow-up changes no table
        pd.testing.assert_frame_equal(table, raw.tables()[name])
    pd.testing.assert_frame_equal(no_follow_up.truth, raw.truth)
    t = sources.follow_up_durations(raw, snapshot, 60, 365).set_index("customer_id")
    t = t.reindex(raw.truth["customer_id"])  # late sign-ups are not in the snapshot
    label = window_label(raw, snapshot, 60).reindex(t.index)
    in_window = t["churned_event"] & (t["duration_days"] <= 60)
    treated = raw.truth.set_index("customer_id")["treated"].astype(bool)
    assert (in_window == label).all()
    # the offer changed labels both ways, and those customers are covered by the check above
    without = synth.generate(3000, 8, snapshot.date(), 60, 180, "none", 365)
    plain, control = window_label(without, snapshot, 60), without.follow_up
    moved = (plain.reindex(t.index) != label) & treated
    assert (moved & ~label).sum() > 20 and (moved & label).sum() > 5  # persuaded, provoked
    # untreated customers' follow-up does not depend on the campaign
    untreated = treated[~treated].index
    ours = raw.follow_up[raw.follow_up["customer_id"].isin(untreated)].reset_index(drop=True)
    theirs = control[control["customer_id"].isin(untreated)].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs)


def user_params(tmp_path, customers, events=None, **survival):
    customers.to_csv(tmp_path / "c.csv", index=False)
    data = {
        "source": "csv",
        "path": str(tmp_path / "c.csv"),
        "id": "id",
        "snapshot_date": "2026-01-01",
    }
    data["customers"] = {"closed": "closed"}
    if events is not None:
        events.to_csv(tmp_path / "e.csv", index=False)
        data["events"] = {"path": str(tmp_path / "e.csv"), "customer_id": "id", "timestamp": "when"}
    else:
        data |= {"target": "churn", "positive": 1}
    return parse_params({"data": data, "survival": survival})


def test_user_durations_from_closures_and_an_event_log(tmp_path):
    customers = pd.DataFrame(
        {"id": ["u1", "u2", "u3"], "closed": ["2026-02-10", "", "2025-12-01"], "churn": [1, 0, 0]}
    )
    events = pd.DataFrame(
        {
            "id": ["u1", "u2", "u2", "u2"],
            "when": ["2026-01-05", "2026-01-20", "2026-03-01", "2026-12-31"],
        }
    )
    out = sources.user_durations(user_params(tmp_path, customers, events)).set_index("customer_id")
    assert list(out.index) == ["u1", "u2"]  # u3 closed before the snapshot
    assert out.loc["u1"].tolist() == [40.0, True]
    # u2: 305 silent days after March 1 (day 59) inside the log, which ends on December 31
    assert out.loc["u2"].tolist() == [59.0, True]
    closures_only = user_params(tmp_path, customers, None, observed_until="2026-06-30")
    out = sources.user_durations(closures_only).set_index("customer_id")
    assert out.loc["u1"].tolist() == [40.0, True]  # no activity log: closures only
    assert out.loc["u2"].tolist() == [180.0, False]  # censored at survival.observed_until


def test_user_data_without_timestamps_fails_clearly(tmp_path):
    customers = pd.DataFrame({"id": ["u1"], "closed": [""], "churn": [0]})
    params = user_params(tmp_path, customers, None)
    params = params.model_copy(
        update={"data": params.data.model_copy(update={"customers": type(params.data.customers)()})}
    )
    with pytest.raises(UserError, match="survival needs timestamps"):
        sources.user_durations(params)
    events = pd.DataFrame({"id": ["u1"], "when": ["yesterday"]})
    with pytest.raises(UserError, match="not dates"):
        sources.user_durations(user_params(tmp_path, customers, events))


def test_the_stage_leaves_out_the_sparse_train_rows_featurize_left_out(tmp_path, monkeypatch):
    from churnlab import io
    from churnlab.data import privacy
    from churnlab.stages import survival as stage

    monkeypatch.chdir(tmp_path)
    ids = ["u0", "u1", "u2", "u3", "u4", "u5"]
    customers = pd.DataFrame({"id": ids, "closed": ["2026-02-10", "", "", "", "", ""]})
    events = pd.DataFrame(
        {"id": ids[1:], "when": ["2026-01-05", "2026-01-20"] + ["2026-12-31"] * 3}
    )
    params = user_params(tmp_path, customers, events)
    keys = privacy.pseudonymise(pd.Series(ids), privacy.salt_from_env()).to_numpy()
    # u1 misses every column: featurize leaves it out of the train matrix (0.5 allowed)
    split = pd.DataFrame(
        {"customer_key": keys, "a": [1.0, np.nan, 3, 4, 5, 6], "b": [1.0, np.nan, 1, 2, 2, 3]}
    )
    split["churned"] = [1, 0, 0, 0, 0, 1]
    for name, rows in {"train": [0, 1, 2, 3], "valid": [4], "test": [5]}.items():
        io.write_table(split.iloc[rows], Path("data/split") / f"{name}.parquet")
        kept = [r for r in rows if r != 1]
        features = split.iloc[kept][["a", "churned"]].rename(columns={"a": "f"})
        io.write_table(features, Path("data/features") / f"{name}.parquet")
    data, oracle = stage.split_targets(params)
    X, duration, event = data["train"]
    expected = sources.user_durations(params).set_index("customer_id").loc[["u0", "u2", "u3"]]
    assert len(X) == len(duration) == 3 and oracle is None
    np.testing.assert_array_equal(duration, expected["duration_days"])
    np.testing.assert_array_equal(event, expected["churned_event"])
