"""Evaluation: metrics turned into decisions and documents for people: business translation,
segments, explanations, the model card, the pull-request report and every figure (``plots``).
"""
