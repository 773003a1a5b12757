"""Data: where customers come from and how they become a clean point-in-time table.

The synthetic generator, user sources (files, SQL), cleaning, privacy, the snapshot and event
log, schema inference, the quality gate, splitting, the raw-table helpers, the serving input
contract and the conversions prepare records and scoring replays (``conversions``). Add a data
source in ``sources``.
"""
