"""Params of multi-table user data: the event log and the customers table's date columns.

Part of ``params.yaml``'s ``data`` section (``data.events``, ``data.customers``), validated
like the rest of :mod:`churnlab.config.params`, which imports them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from churnlab.config.base import Strict as _Strict


class AllTimeParams(_Strict):
    """All-time features of the event log (events strictly before the snapshot), each family
    switchable; see the docs page "Your own data"."""

    frequency: bool = True
    """`logins_total`: activity events before the snapshot, all time."""
    monetary: bool = True
    """`spend_total` and `spend_mean`: total and mean amount, all time (needs `amount`)."""
    age: bool = True
    """`days_since_first_event`: customer age, days from the first event to the snapshot."""
    gaps: bool = True
    """`gap_mean_days`, `gap_last_days` (between activity events) and `overdue_ratio`
    (`days_since_last_login` over `gap_mean_days`)."""
    type_counts: bool = True
    """`type_<name>_total`: events per type, all time (needs `type`)."""
    max_types: int = Field(default=10, ge=1)
    """The most frequent types (before the snapshot) that get their own count; the rest are
    counted together in `type_other_total`."""


class EventsParams(_Strict):
    """An event/transaction log beside the customers table (multi-table user data).

    Setting ``path`` switches prepare to the point-in-time snapshot: events before
    ``data.snapshot_date`` make the windowed features, activity after it the label.
    """

    source: Literal["", "csv", "parquet", "sql"] = ""
    """How to read the event log: `csv`, `parquet` or `sql`; empty = the same kind as
    `data.source`."""
    path: str = ""
    """The event log: a file path, or for `sql` a SQLAlchemy-style URL. Setting it switches
    prepare to the point-in-time snapshot of a customers table plus this log."""
    query: str = ""
    """SQL query that returns the event log (`source: sql`; or give `table`)."""
    table: str = ""
    """Table holding the event log (`source: sql`, instead of `query`)."""
    customer_id: str = "customer_id"
    """Column of the event log with the customer id (matched to `data.id`)."""
    timestamp: str = "timestamp"
    """Column of the event log with the event time; events before `data.snapshot_date` make the
    features, activity after it the label."""
    amount: str = ""
    """Optional column with the event's amount: spend features (`spend_30d`, `spend_90d`,
    `spend_trend`)."""
    type: str = ""
    """Optional column with the event type, needed by `activity_types` and `failed_types`."""
    text: str = ""
    """Optional column with free text (support tickets): `tickets_90d`, `tickets_total`,
    `ticket_text`."""
    activity_types: list[str] = Field(default_factory=list)
    """Event types that count as activity (`logins_*`, `days_since_last_login` and the inactivity
    label); empty = every event."""
    failed_types: list[str] = Field(default_factory=list)
    """Event types that are failed payments (`failed_payments_90d`; not counted in spend)."""
    all_time: AllTimeParams = AllTimeParams()
    """All-time features (frequency, monetary, customer age, gaps, counts per type)."""

    @model_validator(mode="after")
    def _mapping_complete(self) -> EventsParams:
        if not self.path:
            return self
        if not (self.customer_id and self.timestamp):
            raise ValueError("data.events needs customer_id and timestamp column names")
        if (self.activity_types or self.failed_types) and not self.type:
            raise ValueError("activity_types and failed_types need the type column (type)")
        return self


class CustomersParams(_Strict):
    """Columns of the customers table when an event log is given (both optional)."""

    signup: str = ""
    """Optional signup-date column of the customers table: customers who sign up after the
    snapshot are left out, and `tenure_days` is counted from it."""
    closed: str = ""
    """Optional account-closure date column: a closure before the snapshot leaves the customer
    out, one in the churn window is churn."""
