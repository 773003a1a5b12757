"""Time to churn (survival analysis) and the value at risk.

What belongs here: the durations and censoring of each customer after the snapshot
(``durations``), the survival models with a common interface (``models``), per-customer
survival curves, median time to churn, horizon probabilities and contractual value
(``curves``), survival metrics with bootstrap intervals (``scoring``) and their figures
(``plots``). The ``survival`` stage (:mod:`churnlab.stages.survival`) wires them together.
"""
