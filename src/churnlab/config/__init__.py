"""Configuration: the typed params models of ``params.yaml``, the file layout (``paths``)
and the column names every stage shares (``columns``).
"""
