"""Built-in synthetic churn data, as a CRM and a product database would hold it.

:func:`generate` returns four raw tables (customers, logins, payments, tickets) plus the true
churn probability of each customer, kept apart from the data so that evaluate can report the
Bayes-optimal ROC-AUC. Churn is drawn from a hidden hazard on quantities a careful pipeline can
observe at the snapshot (recency, usage and spend trends, ticket wording, failed payments,
contract, tenure, satisfaction and their interactions). The label is then written into the
raw data the way it happens in practice: churners close their account or go silent during the
churn window, everybody else logs in at least once. Realistic mess (missing values, outliers,
duplicate rows, inconsistent spellings, skewed spend) is added last. Everything is vectorised
with numpy; the only randomness is the seeded generator.

Customers are made in chunks of at most ``CHUNK_CUSTOMERS`` (:func:`chunks`), each from its own
random stream seeded from (seed, chunk) (:func:`chunk_seed`; chunk 0 uses ``seed`` itself, so
data of one chunk, such as the default, is what the unchunked generator made). A chunk is
self-contained (customer ids, late signups and ticket ids are numbered from its position), so
:func:`generate_chunk` can run anywhere in any order and the tables of ``generate`` are the
chunks' tables one after the other; :mod:`churnlab.engine.generate` writes them chunk by chunk.

Longer than ~300 lines on purpose: the hazard, the event tables and the mess share one seeded
random stream in a fixed order, so splitting them across modules would hide that order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from churnlab.data import campaign
from churnlab.data.snapshot import trend_ratio

DAY = np.timedelta64(1, "D")
SECONDS_PER_DAY = 86_400
# Customers per chunk: memory is bounded by one chunk; the default data is a single chunk.
CHUNK_CUSTOMERS = 100_000
# Tickets of chunk k are numbered from k * TICKET_ID_STRIDE + 1, independently of other chunks.
TICKET_ID_STRIDE = 10**9
# Tags the chunk seeds' stream apart from the drift ([seed, 7]), follow-up and campaign streams.
_CHUNK_STREAM = 23

REGIONS = np.array(["North", "South", "East", "West", "Central"])
# "unlimited" is drawn only by the ``new_plan`` drift scenario (a plan launched later).
PLANS = np.array(["basic", "standard", "premium", "unlimited"])
PLAN_FEE = np.array([19.0, 39.0, 69.0, 99.0])
DRIFTS = ("none", "price_change", "new_plan")
CONTRACTS = np.array(["month-to-month", "one-year", "two-year"])
PAYMENT_METHODS = np.array(["credit card", "bank transfer", "electronic check", "mailed check"])

# Spelling variants a CRM accumulates over the years; prepare maps them back.
MESSY_SPELLINGS = {
    "region": {
        "North": ["north", "NORTH ", "N."],
        "South": ["south", " South"],
        "East": ["east"],
        "West": ["WEST", "west "],
        "Central": ["central", "Centre"],
    },
    "contract": {
        "month-to-month": ["Month-to-Month", "month to month", "M2M"],
        "one-year": ["One year", "1 year"],
        "two-year": ["Two year", "2 years"],
    },
    "payment_method": {
        "credit card": ["Credit Card", "creditcard"],
        "bank transfer": ["Bank Transfer", "bank-transfer"],
        "electronic check": ["E-check", "Electronic Check"],
        "mailed check": ["Mailed Check"],
    },
}

NEUTRAL_TICKETS = np.array(
    [
        "How do I change my billing address",
        "Question about the invoice for last month",
        "Please update my email preferences",
        "The app asks me to log in again after the update",
        "How can I add a second user to my account",
        "Where can I download my invoices",
        "Thanks for the quick help with my password",
        "Can I switch my payment date to the end of the month",
        "Feature request: dark mode in the dashboard",
        "The export to spreadsheet works fine now, thank you",
    ]
)
NEGATIVE_TICKETS = np.array(
    [
        "I want to cancel my subscription",
        "Your service is too expensive, considering a competitor",
        "Requesting a refund for a double charge",
        "The service keeps crashing, this is unacceptable",
        "Still waiting for an answer, very disappointed",
        "How do I close my account and export my data",
        "Competitor offers the same for less, please explain the price",
        "Charged again after the outage, I want my money back",
    ]
)

FIRST_NAMES = np.array(
    [
        "Anna",
        "Ben",
        "Chloe",
        "David",
        "Emma",
        "Farid",
        "Grace",
        "Hugo",
        "Ines",
        "Jonas",
        "Kira",
        "Liam",
        "Mia",
        "Noah",
        "Olga",
        "Pavel",
    ]
)
LAST_NAMES = np.array(
    [
        "Smith",
        "Garcia",
        "Muller",
        "Rossi",
        "Dubois",
        "Novak",
        "Silva",
        "Jensen",
        "Kowalski",
        "Murphy",
        "Tanaka",
        "Okafor",
    ]
)


@dataclass(frozen=True)
class RawData:
    customers: pd.DataFrame
    logins: pd.DataFrame
    payments: pd.DataFrame
    tickets: pd.DataFrame
    truth: pd.DataFrame
    # Activity and closures after the label window (``generate(follow_up_days=...)``), else None.
    follow_up: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "customers": self.customers,
            "logins": self.logins,
            "payments": self.payments,
            "tickets": self.tickets,
        }


@dataclass(frozen=True)
class Chunk:
    """One chunk of customers: its position, size, and the late signups of the chunks before."""

    index: int
    first: int
    size: int
    late_first: int


def late_signup_count(n_customers: int) -> int:
    """Customers signing up after the snapshot, for a chunk of ``n_customers``."""
    return max(1, n_customers // 100)


def chunks(n_customers: int, chunk_customers: int = CHUNK_CUSTOMERS) -> list[Chunk]:
    """The chunks of a population of ``n_customers``: all full except perhaps the last."""
    if chunk_customers <= 0:
        raise ValueError(f"chunk_customers must be positive, got {chunk_customers}")
    out, late = [], 0
    for index, first in enumerate(range(0, n_customers, chunk_customers)):
        size = min(chunk_customers, n_customers - first)
        out.append(Chunk(index, first, size, late))
        late += late_signup_count(size)
    return out


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk ``index``: ``seed`` for chunk 0, else derived from (seed, index)."""
    if index == 0:
        return seed
    state = np.random.SeedSequence([seed, _CHUNK_STREAM, index]).generate_state(1, np.uint64)
    return int(state[0])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _events(
    rng: np.random.Generator, owner_rate: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events per customer at a constant daily rate on [start, end) (days offsets).

    Returns (owner index, time in days) for every event, owners ascending.
    """
    length = np.clip(end - start, 0.0, None)
    counts = rng.poisson(owner_rate * length)
    owner = np.repeat(np.arange(len(counts)), counts)
    times = start[owner] + rng.random(len(owner)) * length[owner]
    return owner, times


def _latent(rng: np.random.Generator, n: int, history_days: int) -> dict[str, np.ndarray]:
    """Customer attributes before any behaviour is simulated."""
    tenure = np.where(rng.random(n) < 0.35, rng.exponential(150, n), rng.uniform(0, 2200, n))
    tenure = tenure + 1.0
    plan = rng.choice(3, n, p=[0.5, 0.35, 0.15])
    contract = rng.choice(3, n, p=[0.55, 0.25, 0.20])
    fee = PLAN_FEE[plan] * rng.lognormal(0.0, 0.18, n)
    dissatisfaction = rng.normal(0.0, 1.0, n)
    satisfaction = np.clip(np.round(3.4 - 0.9 * dissatisfaction + rng.normal(0, 0.5, n)), 1, 5)
    return {
        "tenure": tenure,
        "plan": plan,
        "contract": contract,
        "fee": fee,
        "age": np.clip(rng.normal(43, 14, n), 18, 85).round(),
        "region": rng.choice(5, n, p=[0.25, 0.2, 0.2, 0.2, 0.15]),
        "payment": rng.choice(4, n, p=[0.35, 0.3, 0.25, 0.1]),
        "dissatisfaction": dissatisfaction,
        "satisfaction": satisfaction,
        # Daily login rate at the start of the history, and its change per 30 days on the
        # log scale: most customers flat, a quarter fading away.
        "engagement": rng.lognormal(np.log(0.1), 0.6, n),
        "usage_slope": np.where(
            rng.random(n) < 0.25, rng.uniform(-0.6, -0.1, n), rng.normal(0, 0.05, n)
        ),
        "spend_slope": np.where(rng.random(n) < 0.2, rng.uniform(-0.25, -0.05, n), 0.0),
        "payment_risk": np.where(rng.random(n) < 0.1, 0.25, 0.02),
        "history_start": -np.minimum(tenure, history_days),
    }


def _inject_drift(lat: dict[str, np.ndarray], drift: str, seed: int) -> None:
    """Change the population in place, as a later month might (no effect for ``none``).

    ``price_change``: every fee rises by 25 %. ``new_plan``: 30 % of customers move to a new,
    dearer plan. Drawn from a separate generator so the default data never changes.
    """
    if drift == "none":
        return
    if drift not in DRIFTS:
        raise ValueError(f"unknown drift {drift!r}; expected one of {DRIFTS}")
    rng = np.random.default_rng([seed, 7])
    if drift == "price_change":
        lat["fee"] = lat["fee"] * 1.25
    elif drift == "new_plan":
        moved = rng.random(len(lat["fee"])) < 0.3
        lat["fee"] = np.where(moved, lat["fee"] / PLAN_FEE[lat["plan"]] * PLAN_FEE[3], lat["fee"])
        lat["plan"] = np.where(moved, 3, lat["plan"])


def _simulate_logins(rng, lat, history_days) -> tuple[np.ndarray, np.ndarray]:
    """Logins before the snapshot, month by month, with each customer's usage trend."""
    owners, times = [], []
    months = history_days // 30
    for month in range(months):
        end = -30.0 * month
        start = np.maximum(end - 30.0, lat["history_start"])
        rate = lat["engagement"] * np.exp(lat["usage_slope"] * (months - 1 - month))
        o, t = _events(rng, rate, start, np.maximum(start, end))
        owners.append(o)
        times.append(t)
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    return owner[order], np.concatenate(times)[order]


def _simulate_payments(rng, lat, history_days) -> pd.DataFrame:
    """One monthly charge per customer and month since signup; some fail; add-ons are skewed."""
    n = len(lat["fee"])
    months = np.arange(history_days // 30)
    owner = np.repeat(np.arange(n), len(months))
    month = np.tile(months, n)
    day = -30.0 * month - 1.0
    keep = day >= lat["history_start"][owner]
    owner, month, day = owner[keep], month[keep], day[keep]
    amount = lat["fee"][owner] * np.exp(lat["spend_slope"][owner] * (-month))
    addon = np.where(rng.random(len(owner)) < 0.15, rng.lognormal(2.0, 1.0, len(owner)), 0.0)
    failed = rng.random(len(owner)) < lat["payment_risk"][owner]
    return pd.DataFrame(
        {
            "owner": owner,
            "day": day + rng.random(len(owner)) * 0.5,
            "amount": np.round(amount + addon, 2),
            "failed": failed,
        }
    )


def _simulate_tickets(rng, lat, history_days) -> pd.DataFrame:
    rate = 0.004 * (1.0 + np.exp(0.8 * lat["dissatisfaction"]))
    owner, day = _events(rng, rate, lat["history_start"], np.zeros_like(rate))
    negative = rng.random(len(owner)) < _sigmoid(1.5 * lat["dissatisfaction"][owner] - 1.0)
    text = np.where(
        negative,
        NEGATIVE_TICKETS[rng.integers(0, len(NEGATIVE_TICKETS), len(owner))],
        NEUTRAL_TICKETS[rng.integers(0, len(NEUTRAL_TICKETS), len(owner))],
    )
    return pd.DataFrame({"owner": owner, "day": day, "negative": negative, "text": text})


def login_trend(login_owner: np.ndarray, login_day: np.ndarray, n: int) -> np.ndarray:
    """Logins of the 30 days before the snapshot against the 60 before them (``trend_ratio``),
    as the prepare stage's ``login_trend`` feature sees them."""
    logins_30 = np.bincount(login_owner[login_day >= -30], minlength=n)
    logins_90 = np.bincount(login_owner[login_day >= -90], minlength=n)
    return trend_ratio(logins_30, logins_90, 30, 90)


def _hazard(lat, login_owner, login_day, payments, tickets) -> np.ndarray:
    """True churn probability from what is observable at the snapshot (the hidden truth)."""
    n = len(lat["fee"])
    last_login = np.full(n, -np.inf)
    np.maximum.at(last_login, login_owner, login_day)
    recency = np.minimum(-last_login, 180.0)
    trend = lat["login_trend"]
    ok = ~payments["failed"].to_numpy()
    pay_day = payments["day"].to_numpy()
    pay_owner = payments["owner"].to_numpy()
    amount = payments["amount"].to_numpy()
    spend_30 = np.bincount(pay_owner[ok & (pay_day >= -30)], amount[ok & (pay_day >= -30)], n)
    spend_90 = np.bincount(pay_owner[ok & (pay_day >= -90)], amount[ok & (pay_day >= -90)], n)
    spend_trend = trend_ratio(spend_30, spend_90, 30, 90)
    recent = tickets["day"].to_numpy() >= -90
    negative = recent & tickets["negative"].to_numpy()
    negative_90 = np.bincount(tickets["owner"].to_numpy()[negative], minlength=n)
    failed = payments["failed"].to_numpy() & (payments["day"].to_numpy() >= -90)
    failed_90 = np.bincount(payments["owner"].to_numpy()[failed], minlength=n)
    m2m = lat["contract"] == 0
    two_year = lat["contract"] == 2
    relative_fee = lat["fee"] / PLAN_FEE[lat["plan"]]
    logit = (
        -3.6
        + 1.0 * m2m
        - 1.0 * two_year
        + 1.2 * np.exp(-lat["tenure"] / 180.0)
        + 1.8 * _sigmoid((recency - 20.0) / 4.0)
        - 0.7 * np.log(np.clip(trend, 0.2, 5.0))
        - 1.0 * np.log(np.clip(spend_trend, 0.3, 3.0))
        + 0.45 * (3.0 - lat["satisfaction"]) * (1.0 + 0.8 * m2m)
        + 0.8 * np.minimum(negative_90, 3)
        + 0.6 * np.minimum(failed_90, 2)
        + 1.2 * np.clip(relative_fee - 1.0, -0.5, 0.8) * (1.0 + m2m)
        + 0.5 * (lat["age"] < 30) * m2m
    )
    return _sigmoid(logit)


def _outcome(rng, lat, p_churn, window, history_days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Post-snapshot behaviour: churners close or go silent; the rest log in at least once."""
    n = len(p_churn)
    churn = rng.random(n) < p_churn
    closes = churn & (rng.random(n) < 0.6)
    closed_day = np.where(closes, rng.uniform(0.5, window, n), np.nan)
    # Stayers: at least one login inside the window; closers may log in before closing.
    active_until = np.where(closes, np.nan_to_num(closed_day), np.where(churn, 0.0, window))
    rate = lat["engagement"] * np.exp(lat["usage_slope"] * (history_days // 30))
    owner, day = _events(rng, rate, np.zeros(n), active_until)
    silent = ~churn & (np.bincount(owner, minlength=n) == 0)
    extra_owner = np.flatnonzero(silent)
    owner = np.concatenate([owner, extra_owner])
    day = np.concatenate([day, rng.uniform(0.0, window, len(extra_owner))])
    return owner, day, closed_day


def _follow_up(seed, p_churn, post_owner, post_day, closed_day, window, days, lat, share):
    """Life after the label window, for time-to-churn: who churns when, up to ``days``.

    A separate random stream (``[seed, 11]``) so the tables above never change. It continues
    the label the customer ends up with, the past campaign (``share`` > 0) included: a churner
    (closed or silent in the window, or provoked by the offer) has no life after it; a stayer
    (persuaded by the offer too) churns at a constant daily hazard that gives the same
    probability of churning within a window as the true churn probability of their arm (the
    treated probability if they got the offer), so their churn falls after the window; until
    then they log in every 15-45 days from their last login in the window (from the snapshot
    for a persuaded customer who had none: never a gap of a whole window), then close (60 %)
    or go silent. Returns ``owner, day, kind`` rows (kind ``login`` or ``closed``), days after
    the snapshot.
    """
    rng = np.random.default_rng([seed, 11])
    n = len(p_churn)
    outcome = (post_owner, closed_day)
    churned = campaign.control_churned(outcome, n)
    if share > 0:
        offer = campaign.assign(lat, p_churn, outcome, seed, share, window)
        churned, p_churn = offer.churned(churned), offer.churn_probability(p_churn)
    last = np.zeros(n)
    np.maximum.at(last, post_owner, post_day)  # the campaign keeps a persuaded closer's logins
    alive = ~churned
    rate = -np.log1p(-np.clip(p_churn, 1e-9, 1 - 1e-9)) / window
    churn_day = np.where(alive, window + rng.exponential(1.0 / rate), np.nan)
    closes = rng.random(n) < 0.6
    owners, times, at = [], [], np.where(alive, last, np.inf)
    while True:
        at = at + rng.uniform(15.0, 45.0, n)
        keep = (at < churn_day) & (at < days)
        if not keep.any():
            break
        owners.append(np.flatnonzero(keep))
        times.append(at[keep])
    ends = alive & (churn_day < days)
    silent, closed = np.flatnonzero(ends & ~closes), np.flatnonzero(ends & closes)
    owner = np.concatenate([*owners, silent, closed])
    day = np.concatenate([*times, churn_day[silent], churn_day[closed]])
    kind = np.repeat(["login", "closed"], [len(owner) - len(closed), len(closed)])
    return owner, day, kind


def _messy(rng, values: np.ndarray, column: str, share: float) -> np.ndarray:
    """Replace a share of canonical values with the spelling variants seen in CRMs."""
    out = values.astype(object)
    for canonical, variants in MESSY_SPELLINGS[column].items():
        hit = np.flatnonzero((values == canonical) & (rng.random(len(values)) < share))
        out[hit] = np.array(variants, dtype=object)[rng.integers(0, len(variants), len(hit))]
    return out


def _with_missing(rng, values: np.ndarray, share: float) -> np.ndarray:
    out = values.astype(float)
    out[rng.random(len(out)) < share] = np.nan
    return out


def _customers_table(rng, lat, ids, snapshot, closed_day) -> pd.DataFrame:
    n = len(ids)
    age = _with_missing(rng, lat["age"], 0.03)
    age[rng.random(n) < 0.002] = 200.0  # impossible ages typed into the CRM
    fee = _with_missing(rng, np.round(lat["fee"], 2), 0.02)
    outlier = rng.random(n) < 0.003
    fee[outlier] = fee[outlier] * 10.0
    fee[rng.random(n) < 0.001] = -1.0
    first = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)]
    last = LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)]
    signup_seconds = np.round(-lat["tenure"] * SECONDS_PER_DAY).astype("int64")
    closed_seconds = np.round(np.nan_to_num(closed_day) * SECONDS_PER_DAY).astype("int64")
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "name": np.char.add(np.char.add(first, " "), last),
            "email": np.char.add(
                np.char.add(np.char.lower(first), "."), np.char.add(ids, "@example.com")
            ),
            "phone": np.char.add(
                "+1-555-", np.char.zfill(rng.integers(0, 10**7, n).astype(str), 7)
            ),
            "signup_date": snapshot + signup_seconds.astype("timedelta64[s]"),
            "age": age,
            "region": _messy(rng, REGIONS[lat["region"]], "region", 0.08),
            "plan": PLANS[lat["plan"]],
            "contract": _messy(rng, CONTRACTS[lat["contract"]], "contract", 0.08),
            "monthly_fee": fee,
            "payment_method": _messy(rng, PAYMENT_METHODS[lat["payment"]], "payment_method", 0.08),
            "satisfaction": _with_missing(rng, lat["satisfaction"], 0.04),
            "closed_at": np.where(
                np.isnan(closed_day),
                np.datetime64("NaT"),
                snapshot + closed_seconds.astype("timedelta64[s]"),
            ),
        }
    )
    frame["closed_at"] = pd.to_datetime(frame["closed_at"])
    return frame


def _duplicate_rows(rng, frame: pd.DataFrame, share: float) -> pd.DataFrame:
    dup = frame.iloc[np.flatnonzero(rng.random(len(frame)) < share)]
    return pd.concat([frame, dup], ignore_index=True)


def _late_signups(
    rng, customers: pd.DataFrame, snapshot: np.datetime64, window: int, first: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers who sign up after the snapshot: the snapshot must not contain them.

    Returns their customer rows (ids numbered after ``first``) and their first login, in days
    after the snapshot.
    """
    n = late_signup_count(len(customers))
    late = customers.sample(n=n, random_state=int(rng.integers(2**31))).reset_index(drop=True)
    numbers = np.arange(first + 1, first + n + 1).astype(str)
    late["customer_id"] = np.char.add("CL", np.char.zfill(numbers, 8))
    offset = rng.uniform(0.5, window, n)
    late["signup_date"] = _to_timestamps(snapshot, offset)
    late["closed_at"] = pd.NaT
    return late, offset + 0.1


def _ids_of(ids: np.ndarray, owner: np.ndarray) -> pd.Categorical:
    """Event tables reference customers by id; a categorical keeps 10^8 rows cheap."""
    return pd.Categorical.from_codes(owner, categories=ids)


def _to_timestamps(snapshot: np.datetime64, days: np.ndarray) -> np.ndarray:
    return snapshot + np.round(days * SECONDS_PER_DAY).astype("int64").astype("timedelta64[s]")


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Chunks' tables one after the other; categorical columns stay categorical."""
    out = pd.concat(frames, ignore_index=True)
    for column in out.columns:
        if isinstance(frames[0][column].dtype, pd.CategoricalDtype):
            out[column] = union_categoricals([frame[column] for frame in frames])
    return out


def generate(n_customers: int, *args, chunk_customers: int = CHUNK_CUSTOMERS, **kwargs) -> RawData:
    """Generate the raw tables and the hidden truth for ``n_customers`` customers.

    The other arguments are :func:`generate_chunk`'s after the chunk: ``seed``,
    ``snapshot_date``, ``churn_window_days``, ``history_days``, ``drift`` (see
    :func:`_inject_drift`: a shifted population for monitoring tests), ``follow_up_days`` (> 0
    adds ``follow_up``, see :func:`_follow_up`, and changes nothing else) and
    ``campaign_share`` (> 0 adds a past retention campaign, :mod:`churnlab.data.campaign`).
    The population is made in chunks of ``chunk_customers`` held in memory together;
    :mod:`churnlab.engine.generate` writes them one at a time instead.
    """
    parts = [
        generate_chunk(chunk, *args, **kwargs) for chunk in chunks(n_customers, chunk_customers)
    ]
    if len(parts) == 1:
        return parts[0]
    fields = {
        "truth": _concat([p.truth for p in parts]),
        **{name: _concat([p.tables()[name] for p in parts]) for name in parts[0].tables()},
    }
    if parts[0].follow_up is not None:
        fields["follow_up"] = _concat([p.follow_up for p in parts])
    return RawData(**fields)


def generate_chunk(
    chunk: Chunk,
    seed: int,
    snapshot_date: dt.date,
    churn_window_days: int,
    history_days: int = 180,
    drift: str = "none",
    follow_up_days: int = 0,
    campaign_share: float = 0.0,
) -> RawData:
    """The raw tables and hidden truth of one chunk of customers (see :func:`generate`).

    Every random stream below (the chunk's own, drift, follow-up, campaign) is seeded from
    the chunk's seed, so a chunk depends only on (seed, its position) and the params.
    """
    n_customers, seed = chunk.size, chunk_seed(seed, chunk.index)
    rng = np.random.default_rng(seed)
    snapshot = np.datetime64(snapshot_date, "s")
    lat = _latent(rng, n_customers, history_days)
    _inject_drift(lat, drift, seed)
    numbers = np.arange(chunk.first + 1, chunk.first + n_customers + 1).astype(str)
    ids = np.char.add("CU", np.char.zfill(numbers, 8))

    login_owner, login_day = _simulate_logins(rng, lat, history_days)
    payments = _simulate_payments(rng, lat, history_days)
    tickets = _simulate_tickets(rng, lat, history_days)
    lat["login_trend"] = login_trend(login_owner, login_day, n_customers)  # the campaign's too
    p_churn = _hazard(lat, login_owner, login_day, payments, tickets)
    post_owner, post_day, closed_day = _outcome(rng, lat, p_churn, churn_window_days, history_days)

    customers = _customers_table(rng, lat, ids, snapshot, closed_day)
    late, late_login_day = _late_signups(
        rng, customers, snapshot, churn_window_days, chunk.late_first
    )
    customers = pd.concat([customers, late], ignore_index=True)
    all_ids = customers["customer_id"].to_numpy()
    late_owner = np.arange(n_customers, len(all_ids))
    logins = pd.DataFrame(
        {
            "customer_id": _ids_of(all_ids, np.concatenate([login_owner, post_owner, late_owner])),
            "login_at": _to_timestamps(
                snapshot, np.concatenate([login_day, post_day, late_login_day])
            ),
        }
    )
    payments_table = pd.DataFrame(
        {
            "customer_id": _ids_of(ids, payments["owner"].to_numpy()),
            "paid_at": _to_timestamps(snapshot, payments["day"].to_numpy()),
            "amount": payments["amount"].to_numpy(),
            "status": pd.Categorical.from_codes(
                payments["failed"].to_numpy().astype("int8"), categories=["ok", "failed"]
            ),
        }
    )
    tickets_table = pd.DataFrame(
        {
            "ticket_id": chunk.index * TICKET_ID_STRIDE + np.arange(1, len(tickets) + 1),
            "customer_id": _ids_of(ids, tickets["owner"].to_numpy()),
            "created_at": _to_timestamps(snapshot, tickets["day"].to_numpy()),
            "description": tickets["text"].to_numpy(),
        }
    )
    follow_up = None
    if follow_up_days > 0:
        owner, day, kind = _follow_up(
            seed,
            p_churn,
            post_owner,
            post_day,
            closed_day,
            churn_window_days,
            follow_up_days,
            lat,
            campaign_share,
        )
        follow_up = pd.DataFrame(
            {"customer_id": ids[owner], "at": _to_timestamps(snapshot, day), "kind": kind}
        )
    raw = RawData(
        follow_up=follow_up,
        customers=_duplicate_rows(rng, customers, 0.01),
        logins=_duplicate_rows(rng, logins, 0.005),
        payments=_duplicate_rows(rng, payments_table, 0.005),
        tickets=tickets_table,
        truth=pd.DataFrame({"customer_id": ids, "churn_probability": p_churn}),
    )
    outcome = (post_owner, closed_day)
    return campaign.add_past_campaign(
        raw, lat, p_churn, outcome, seed, campaign_share, snapshot, churn_window_days
    )
