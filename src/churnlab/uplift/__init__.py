"""Uplift modelling: who changes their mind when offered a retention deal.

From a past campaign (treated and control customers, logged propensity) the sub-package
estimates each customer's uplift — the rise of their retention probability the offer causes —
and turns it into a contact decision: ``metrics`` (Qini and uplift curves, Qini coefficient,
AUUC, uplift at top shares, bootstrap intervals), ``learners`` (S-, T-, X-, DR-learners and
the class transformation over the model zoo, scikit-learn style and skops-safe), ``base``
(the zoo classifier's settings inside the learners, ``uplift.base_params``), ``policy``
(contact when uplift × value − offer cost > 0 within the budget; net gain of the policies,
exact with true effects or by inverse-propensity weighting), ``campaign_data`` (the treated
flag and propensity of user data, checked), ``selection`` (the learner chosen by
cross-validated Qini on train) and ``report`` (the stage's figures and plots).
"""
