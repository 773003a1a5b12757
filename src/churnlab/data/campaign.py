"""A past retention campaign in the synthetic data, with a known heterogeneous effect.

Before the snapshot a share of customers (``synthetic.campaign_share``) got a retention offer
at random, with a logged propensity. The offer shifts each treated customer's churn log-odds
by an amount that depends on observable columns only (as issue 17 asks): contract, plan, fee,
satisfaction and tenure are columns of the customers table, with its missing and corrupted
values, and the login trend is the ``login_trend`` feature (logins of the 30 days before the
snapshot against the same-length rate of the 60 days before those,
:func:`churnlab.data.snapshot.trend_ratio`), computed from the generated logins as the prepare
stage computes it from the logins table:

- *persuadables*: month-to-month customers who pay above their plan's list price or rate their
  satisfaction 2 or less (price-sensitive, complaining) — a large drop in risk;
- *sleeping dogs*: two-year customers with more than two years of tenure — the contact
  reminds them to shop around, their risk rises;
- *lost causes*: customers whose logins are fading fast (``login_trend`` below
  ``LOST_CAUSE_TREND``: the last 30 days at under 60 % of the earlier rate, with the ratio's
  +1 smoothing) — no effect whatever the offer;
- *sure things* and everyone else: a small drop, which on a low risk changes little.

Everything runs on its own random stream (``default_rng([seed, 17])``) after the generator
has drawn everything else, so the customers, events and labels of untreated customers are
byte-identical to a run without a campaign. A treated customer's label is redrawn from the
treated probability by a monotone coupling with the untreated label (a churner is persuaded to
stay with probability ``(p0 - p1) / p0``; a stayer is provoked with probability
``(p1 - p0) / (1 - p0)``), and the raw tables are edited the way it would show: a persuaded
customer's closure is undone and they log in during the window; a provoked customer stops
logging in after the snapshot and most close their account. The truth table gains the
campaign log (``treated``, ``propensity``) and the true individual uplift (the drop in churn
probability the offer causes, ``true_uplift = p0 - p1``); ``churn_probability`` becomes the
probability of the arm the customer was in.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

SECONDS_PER_DAY = 86_400
# Shifts of the churn log-odds when contacted, per kind of customer.
PERSUADABLE_SHIFT = -2.2
SLEEPING_DOG_SHIFT = 1.3
OTHER_SHIFT = -0.2
# A lost cause's login trend is below this (docs/uplift.md, "The past campaign").
LOST_CAUSE_TREND = 0.6
# Share of provoked customers who close their account (the others go silent), as for churners.
CLOSE_SHARE = 0.6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def offer_shift(lat: dict[str, np.ndarray]) -> np.ndarray:
    """The change of churn log-odds an offer causes, from the customer's attributes."""
    month_to_month = lat["contract"] == 0
    relative_fee = lat["fee"] / np.array([19.0, 39.0, 69.0, 99.0])[lat["plan"]]
    persuadable = month_to_month & ((relative_fee > 1.0) | (lat["satisfaction"] <= 2))
    sleeping_dog = (lat["contract"] == 2) & (lat["tenure"] > 730)
    lost_cause = lat["login_trend"] < LOST_CAUSE_TREND
    shift = np.where(persuadable, PERSUADABLE_SHIFT, OTHER_SHIFT)
    shift = np.where(sleeping_dog, SLEEPING_DOG_SHIFT, shift)
    return np.where(lost_cause, 0.0, shift)


def treated_probability(p_control: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Churn probability under the offer: the control log-odds moved by ``shift``."""
    return 1.0 / (1.0 + np.exp(-(_logit(p_control) + shift)))


def _ids(values) -> np.ndarray:
    return np.asarray(values, dtype=object).astype(str)


def _edit_customers(customers, persuaded_ids, closing: dict[str, np.datetime64]):
    closed = customers["closed_at"].copy()
    ids = _ids(customers["customer_id"])
    closed[np.isin(ids, persuaded_ids)] = pd.NaT
    if closing:
        hit = np.isin(ids, list(closing))
        closed[hit] = pd.to_datetime([closing[i] for i in ids[hit]]).as_unit(closed.dt.unit)
    return customers.assign(closed_at=closed)


def _edit_logins(logins, snapshot, persuaded_ids, provoked_ids, new_days):
    ids = _ids(logins["customer_id"])
    after = logins["login_at"].to_numpy() >= snapshot
    kept = logins[~(after & np.isin(ids, provoked_ids))]
    has_login = np.isin(persuaded_ids, ids[after])
    needy = persuaded_ids[~has_login]
    seconds = np.round(new_days[: len(needy)] * SECONDS_PER_DAY).astype("int64")
    added = pd.DataFrame(
        {
            "customer_id": pd.Categorical(needy, categories=logins["customer_id"].cat.categories),
            "login_at": (snapshot + seconds.astype("timedelta64[s]")).astype(
                logins["login_at"].dtype
            ),
        }
    )
    return pd.concat([kept, added], ignore_index=True)


@dataclasses.dataclass(frozen=True)
class Assignment:
    """Who got the offer and what it did, per customer (order of the truth table)."""

    treated: np.ndarray
    persuaded: np.ndarray  # a churner without the offer who stays with it
    provoked: np.ndarray  # a stayer without the offer who churns with it
    p_treated: np.ndarray
    closes: np.ndarray  # provoked customers who close their account (the others go silent)
    close_day: np.ndarray
    login_day: np.ndarray

    def churned(self, churned_control: np.ndarray) -> np.ndarray:
        """The label with the campaign, from the label without it."""
        return (churned_control & ~self.persuaded) | self.provoked

    def churn_probability(self, p_control: np.ndarray) -> np.ndarray:
        """The churn probability of the arm each customer was in."""
        return np.where(self.treated, self.p_treated, p_control)


def control_churned(outcome, n: int) -> np.ndarray:
    """The label without an offer from the generator's ``(login owners, closing days)``:
    closed, or no login in the window."""
    post_owner, closed_day = outcome
    return ~np.isnan(closed_day) | (np.bincount(post_owner, minlength=n)[:n] == 0)


def assign(lat, p_control, outcome, seed, share, window) -> Assignment:
    """The campaign's draws on its own stream (``default_rng([seed, 17])``) and their effect;
    :func:`add_past_campaign` applies them to the tables, the follow-up hook reads them."""
    n = len(p_control)
    churned = control_churned(outcome, n)
    rng = np.random.default_rng([seed, 17])
    treated = rng.random(n) < share
    coupling = rng.random(n)
    close_draw = rng.random(n)
    close_day = rng.uniform(0.5, window, n)
    login_day = rng.uniform(0.5, window, n)
    p_treated = treated_probability(p_control, offer_shift(lat))
    persuaded = (
        treated & churned & (coupling < (p_control - p_treated) / np.maximum(p_control, 1e-12))
    )
    provoked = (
        treated & ~churned & (coupling < (p_treated - p_control) / np.maximum(1 - p_control, 1e-12))
    )
    closes = provoked & (close_draw < CLOSE_SHARE)
    return Assignment(treated, persuaded, provoked, p_treated, closes, close_day, login_day)


def add_past_campaign(raw, lat, p_control, outcome, seed, share, snapshot, window):
    """``raw`` (a ``RawData``) with the campaign applied; ``raw`` itself when ``share`` is 0.

    ``p_control`` is each customer's churn probability without an offer (order of
    ``raw.truth``); ``outcome`` the generator's post-snapshot ``(login owners, closing days)``,
    from which the label without an offer follows (closed, or no login in the window).
    """
    if share <= 0:
        return raw
    a = assign(lat, p_control, outcome, seed, share, window)
    ids = _ids(raw.truth["customer_id"])
    seconds = np.round(a.close_day * SECONDS_PER_DAY).astype("int64").astype("timedelta64[s]")
    closing = dict(zip(ids[a.closes], snapshot + seconds[a.closes], strict=True))
    truth = raw.truth.assign(
        churn_probability=a.churn_probability(p_control),
        treated=a.treated.astype("int8"),
        propensity=np.full(len(p_control), float(share)),
        true_uplift=p_control - a.p_treated,
    )
    return dataclasses.replace(
        raw,
        customers=_edit_customers(raw.customers, ids[a.persuaded], closing),
        logins=_edit_logins(raw.logins, snapshot, ids[a.persuaded], ids[a.provoked], a.login_day),
        truth=truth,
    )
