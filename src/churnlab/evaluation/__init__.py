"""Evaluation: metrics turned into decisions and documents for people: the test-set evaluation
(``holdout``), business translation, segments, explanations (``shap_report``), the feature
ablation, the model card, the pull-request report and every figure (``plots``).
"""
