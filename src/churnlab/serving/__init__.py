"""Serving: using a trained pipeline: the scorer, the REST API, batch scoring, drift
monitoring and the promotion gate to the model registry.
"""
