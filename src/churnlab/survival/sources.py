"""Where the durations come from: the synthetic generator's follow-up or the user's event log.

Synthetic: the generator is run again with ``follow_up_days`` (same seed, so the same tables
as ``data/raw``; the follow-up comes from its own random stream) and the logins, closures and
follow-up events give the durations. User data: the customers table's closure column
(``data.customers.closed``) and the activity events of ``data.events``; at least one of them.
Either way each customer id becomes the ``customer_key`` of the split tables (same salt).
The past campaign's offer flag (:func:`offer_flags`) is a covariate of the survival models
(``survival.offer_covariate``), read where the uplift stage reads it: the synthetic truth's
``treated``, or the user table's ``uplift.treatment`` column.
"""

from __future__ import annotations

import pandas as pd

from churnlab.config.params import Params
from churnlab.data import events, privacy, sources, synth
from churnlab.errors import UserError
from churnlab.survival.durations import durations
from churnlab.uplift.campaign_data import treatment_flags


def synthetic_durations(params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Durations of the synthetic customers and their true churn probability (by id).

    The generator runs with the same campaign as ``data/raw`` (``synthetic.campaign_share``),
    so a treated customer's duration follows the label the offer produced and the oracle is
    the churn probability of the customer's arm.
    """
    s, d, f = params.synthetic, params.data, params.survival.follow_up_days
    raw = synth.generate(
        s.n_customers,
        s.seed,
        d.snapshot_date,
        d.churn_window_days,
        s.history_days,
        "none",
        f,
        s.campaign_share,
    )
    return follow_up_durations(raw, d.snapshot_date, d.churn_window_days, f), raw.truth


def follow_up_durations(raw, snapshot_date, window: int, follow_up_days: int) -> pd.DataFrame:
    """Durations from generated tables with a follow-up (``synth.RawData``): the closures of
    the customers table or, failing that, of the follow-up; the logins and follow-up logins."""
    follow = raw.follow_up
    customers = raw.customers.drop_duplicates("customer_id")[["customer_id", "closed_at"]]
    late = follow[follow["kind"] == "closed"].set_index("customer_id")["at"]
    customers = customers.set_index("customer_id")
    customers["closed_at"] = customers["closed_at"].fillna(late.reindex(customers.index))
    logins = raw.logins.rename(columns={"login_at": "ts"})
    logins["customer_id"] = logins["customer_id"].astype("str")
    activity = pd.concat(
        [
            logins,
            follow.loc[follow["kind"] == "login", ["customer_id", "at"]].rename(
                columns={"at": "ts"}
            ),
        ],
        ignore_index=True,
    )
    snapshot = pd.Timestamp(snapshot_date)
    end = snapshot + pd.Timedelta(days=follow_up_days)
    return durations(customers.reset_index(), activity, snapshot, end, window)


def user_durations(params: Params) -> pd.DataFrame:
    """Durations from the closure column and/or the event log of user data."""
    d, end = params.data, params.survival.observed_until
    if not d.events.path and not d.customers.closed:
        raise UserError(
            "survival needs timestamps: set data.customers.closed (a closure date column) "
            "and/or data.events (an event log)"
        )
    if not d.id:
        raise UserError("survival on user data needs data.id (the customer id column)")
    customers = events.customer_frame(sources.read_source(d), d, d.snapshot_date)
    if d.events.path:
        log = events.event_frame(sources.read_events(d), d)
        activity = log.loc[log["is_activity"], ["customer_id", "ts"]]
    else:
        activity = None  # closures only: inactivity is not observed
    if end is None:
        if activity is None or activity.empty:
            raise UserError("survival without data.events needs survival.observed_until")
        end = activity["ts"].max()
    snapshot = pd.Timestamp(d.snapshot_date)
    return durations(customers, activity, snapshot, pd.Timestamp(end), d.churn_window_days)


def keyed(table: pd.DataFrame) -> pd.DataFrame:
    """Replace ``customer_id`` by the pseudonymised ``customer_key`` of the split tables."""
    out = table.copy()
    out.insert(
        0, "customer_key", privacy.pseudonymise(out.pop("customer_id"), privacy.salt_from_env())
    )
    return out.set_index("customer_key")


def offer_flags(params: Params, split: pd.DataFrame, truth: pd.DataFrame | None, source: str):
    """0/1 per row of ``split``: the customer got the past campaign's offer; None when there
    is no campaign or ``survival.offer_covariate`` is off. ``truth``: the synthetic truth by
    ``customer_key`` (None for user data, whose ``uplift.treatment`` column is read)."""
    if not params.survival.offer_covariate:
        return None
    if truth is not None:
        if "treated" not in truth:
            return None
        return truth["treated"].reindex(split["customer_key"]).to_numpy().astype("int8")
    u = params.uplift
    if u.treatment not in split:
        return None
    return treatment_flags(split, u.treatment, u.treated_value, source)
