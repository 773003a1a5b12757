"""Command line: ``churnlab <command>``, built from the table in :mod:`churnlab.cli.commands`.

``churnlab --help`` lists the commands by group (pipeline stages, studies, deployment, checks
and reports). User errors (bad params, missing or corrupt inputs) print one clear message and
exit with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap

from churnlab import __version__
from churnlab.cli.commands import COMMANDS, GROUPS, Arg, Command, OneOf
from churnlab.errors import UserError

BY_NAME = {command.name: command for command in COMMANDS}
WIDTH = 78  # of the grouped command list in `churnlab --help`

EPILOG = """\
`churnlab <command> --help` shows a command's arguments. DVC runs the stages (`dvc repro`);
a user error prints one line `churnlab: error: ...` and exits with status 2."""


def _listing(commands: list[Command]) -> str:
    """Name and help of each command, aligned like argparse's own listings."""
    column = max(len(c.name) for c in BY_NAME.values()) + 2
    lines = []
    for command in commands:
        wrapped = textwrap.wrap(command.help, WIDTH - column)
        lines.append(f"{command.name:<{column}}{wrapped[0]}")
        lines.extend(" " * column + line for line in wrapped[1:])
    return "\n".join(lines)


def _add_arguments(parser: argparse.ArgumentParser, arguments: tuple[Arg | OneOf, ...]) -> None:
    for item in arguments:
        if isinstance(item, OneOf):
            group = parser.add_mutually_exclusive_group(required=item.required)
            for one in item.args:
                group.add_argument(*one.flags, **one.options)
        else:
            parser.add_argument(*item.flags, **item.options)


class CommandParser(argparse.ArgumentParser):
    """One command's parser; its arguments are added the first time it parses or shows help,
    so ``churnlab --help`` and each command build (and import) only what they use."""

    command: Command | None = None

    def _add_command_arguments(self) -> None:
        command, self.command = self.command, None
        if command is not None:
            arguments = command.arguments
            _add_arguments(self, arguments() if callable(arguments) else arguments)

    def parse_known_args(self, args=None, namespace=None):
        self._add_command_arguments()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self._add_command_arguments()
        return super().format_usage()

    def format_help(self) -> str:
        self._add_command_arguments()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="churnlab",
        description="churnlab: customer-churn prediction as a reproducible DVC pipeline.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--params", default="params.yaml", help="params file (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="<command>",
        help="one of the commands below",
        parser_class=CommandParser,
    )
    for group, title in GROUPS.items():
        members = [c for c in COMMANDS if c.group == group]
        parser.add_argument_group(title, description=_listing(members))
    for command in COMMANDS:
        command_parser = sub.add_parser(
            command.name,
            description=command.help,
            epilog=command.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command_parser.command = command
    return parser


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    command = BY_NAME[args.command]
    params = None
    if command.needs_params:
        from churnlab.config.params import load_params
        from churnlab.config.run_guard import guard

        params = load_params(args.params)
        # Under DVC: the params a stage reads are those of this run (issue 15, item 14).
        with guard(args.params, params):
            return command.run(args, params)
    return command.run(args, params)


def main(argv: list[str] | None = None) -> None:
    try:
        code = run(argv)
    except UserError as exc:
        print(f"churnlab: error: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)
