"""churnlab: a reproducible DVC experiment repository for customer-churn prediction."""

__version__ = "0.1.0"
