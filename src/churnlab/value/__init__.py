"""Customer value from purchase logs (issue 18): the non-contractual "buy till you die" models.

What belongs here: turning a purchase log (customer id, date, amount) into recency-frequency-
monetary summaries (`purchases`), the BG/NBD and Gamma-Gamma fits of PyMC-Marketing's ``clv``
module with P(alive), expected purchases, expected value and the inferred churn label
(`btyd`), a simulator of purchase logs from known parameters (`simulate`) and the BTYD check
built on it (`check`).
"""
