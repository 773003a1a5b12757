"""Evaluation: metrics turned into decisions and documents for people: the test-set evaluation
(``holdout``), business translation, segments, explanations (``shap_report``) and reasons in
words (``reasons``), the feature ablation, the model card, the HTML reports (``html_report``,
``report_pages``), the pull-request report with its staleness check of the studies
(``study_freshness``) and every figure (``plots``).
"""
