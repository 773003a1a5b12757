"""The model zoo: one module per model (two SVMs share one), each declaring its registry
entries as ``SPECS``. :mod:`churnlab.modeling.registry` finds every module here, so adding a
model is a new module plus its ``train.<name>`` params section (``churnlab.config.models``);
:mod:`churnlab.modeling.zoo.common` holds what several models share.
"""
