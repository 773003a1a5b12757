"""Modeling: the model registry and zoo, calibration, cross-validation, hyper-parameter
tuning, the leaderboard's selection rule and decision thresholds. Add a model in ``zoo``.
"""
