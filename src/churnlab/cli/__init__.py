"""Command line: ``churnlab <command>``; one table of commands (name, help, arguments)."""
