"""Command line: ``churnlab <command>``; one table of commands (``commands``: name, function,
help, arguments), the functions in ``runners``, the parser in ``main``."""
