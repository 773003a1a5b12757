"""Command line: ``churnlab <stage>`` runs one pipeline stage (DVC calls these).

User errors (bad params, missing or corrupt inputs) print one clear message and exit with
status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from churnlab.deploy_cli import DEPLOY_COMMANDS, add_deploy_commands, run_deploy_command
from churnlab.errors import UserError
from churnlab.params import load_params

STAGES = ("prepare", "split", "featurize", "train", "evaluate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="churnlab", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--params", default="params.yaml", help="params file (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for stage in STAGES:
        sub.add_parser(stage, help=f"run the {stage} stage")
    sub.add_parser("check-params", help="validate params.yaml and exit")
    add_deploy_commands(sub)
    return parser


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    params = load_params(args.params)
    if args.command in DEPLOY_COMMANDS:
        return run_deploy_command(args, params)
    if args.command == "check-params":
        print(f"{args.params}: ok")
        return 0
    module = importlib.import_module(f"churnlab.stages.{args.command}")
    module.main(params)
    return 0


def main(argv: list[str] | None = None) -> None:
    try:
        code = run(argv)
    except UserError as exc:
        print(f"churnlab: error: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)
