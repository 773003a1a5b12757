"""Modeling: the model registry and zoo, training (fit, calibrate, threshold; ``training``),
calibration, cross-validation, hyper-parameter tuning, the leaderboard's selection rule and
decision thresholds. Add a model in ``zoo``.
"""
