"""Params of multi-table user data: the event log and the customers table's date columns.

Part of ``params.yaml``'s ``data`` section (``data.events``, ``data.customers``), validated
like the rest of :mod:`churnlab.config.params`, which imports them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from churnlab.config.base import Strict as _Strict


class EventsParams(_Strict):
    """An event/transaction log beside the customers table (multi-table user data).

    Setting ``path`` switches prepare to the point-in-time snapshot: events before
    ``data.snapshot_date`` make the windowed features, activity after it the label.
    """

    # "" = the same kind as data.source; sql reads ``query`` or ``table`` at the URL ``path``.
    source: Literal["", "csv", "parquet", "sql"] = ""
    path: str = ""
    query: str = ""
    table: str = ""
    customer_id: str = "customer_id"
    timestamp: str = "timestamp"
    amount: str = ""
    type: str = ""
    text: str = ""
    # Event types that count as activity (logins_*, the inactivity label); empty = every event.
    activity_types: list[str] = Field(default_factory=list)
    # Event types that are failed payments (failed_payments_*, not counted in spend).
    failed_types: list[str] = Field(default_factory=list)

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

    signup: str = ""  # the signup date: customers who sign up later are left out
    closed: str = ""  # the account closure date: a closure in the window is churn
