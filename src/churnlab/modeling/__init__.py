"""Modeling: the model registry and its zoo (one module per model), training (fit,
calibrate, threshold; ``training``), calibration, cross-validation, hyper-parameter tuning, the
leaderboard's selection rule and decision thresholds. Add a model as a module of ``zoo`` (see
:mod:`churnlab.modeling.registry`).
"""
