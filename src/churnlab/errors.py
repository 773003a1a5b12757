"""User-facing errors.

A ``UserError`` is raised for anything the user controls (params, input files, CLI flags).
The CLI prints its message and exits non-zero without a traceback; anything else is a bug
and keeps its traceback.
"""


class UserError(Exception):
    """An input the user controls is wrong; the message says what and where."""
