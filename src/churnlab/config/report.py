"""The params sections ``actions`` and ``report``: what a business owner reads.

``actions`` is the rule table behind the suggested action of each customer (``churnlab
predict``, the HTML report): the strongest reason that raises a customer's risk is matched to a
family (payment, price, contract, service problems, inactivity, new customer) by words in its column
name, and the family gives the action. ``report`` holds how reasons are worded (units of
numeric columns), where a per-customer value comes from, and how segments are found when the
configured ones are not in the data.
"""

from __future__ import annotations

from pydantic import Field

from churnlab.config.base import Strict


class ActionRule(Strict):
    """One row of the action table (keyed by the family's name): the column-name words that
    select the family and the action suggested for it."""

    match: list[str] = Field(min_length=1)
    """Words (case-insensitive parts of a column name, spaces and `_` ignored) that put a
    reason's column into this family, e.g. `[fee, charge, price]`."""
    action: str = Field(min_length=1)
    """What to do for a customer whose strongest risk-raising reason is in this family."""


def _default_rules() -> dict[str, ActionRule]:
    rows = {
        "payment": (
            ["paymentmethod", "failedpayment", "paymentfail", "declined"],
            "Fix how they pay: help them move to automatic payment",
        ),
        "price": (
            ["fee", "charge", "price", "spend", "payment", "bill", "discount", "cost"],
            "Review their price: offer a discount or a cheaper plan",
        ),
        "contract": (
            ["contract", "plan", "commitment", "renewal"],
            "Offer a longer contract with a loyalty discount",
        ),
        "service problems": (
            ["ticket", "complaint", "support", "outage", "satisfaction", "security", "protection"],
            "Call about their service problems; offer support or a free add-on",
        ),
        "inactivity": (
            ["login", "activity", "usage", "session", "sincelast", "visit"],
            "Re-engage: show them the features they are not using",
        ),
        "new customer": (
            ["tenure", "signup", "joined"],
            "Onboarding call: make sure the first months go well",
        ),
    }
    return {family: ActionRule(match=m, action=a) for family, (m, a) in rows.items()}


class ActionsParams(Strict):
    """Section ``actions``: the suggested action per reason family (first matching rule wins)."""

    rules: dict[str, ActionRule] = Field(default_factory=_default_rules)
    """The rule table, family name: `{match, action}`, checked in order: the first family with a
    word in the column name of the customer's strongest risk-raising reason gives the action."""
    default: str = Field("Personal check-in call: ask how they are doing", min_length=1)
    """The action when no rule matches (or no reason raises the risk)."""


class ReportParams(Strict):
    """Section ``report``: the wording of reasons, customer value and derived segments."""

    units: dict[str, str] = Field(default_factory=dict)
    """Unit of a numeric column in the reasons, e.g. `{MonthlyCharges: USD}` gives
    "MonthlyCharges: 70 USD". Without an entry, `_days` columns are in days and a tenure column
    without a unit in its name in months ("tenure: 1 month"); `""` shows no unit."""
    value_column: str = ""
    """A column of the customers file with each customer's value (e.g. yearly revenue): expected
    value at risk = churn probability × this value; empty = `business.retained_customer_value`
    for everyone. `churnlab predict --value-column` overrides it."""
    segment_max_values: int = Field(8, ge=2, le=50)
    """When user data lacks a column of `evaluate.segments`, its own categorical columns with at
    most this many values become segments too (plus tenure bands of a tenure-like column)."""
