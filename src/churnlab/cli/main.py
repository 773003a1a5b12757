"""Command line: ``churnlab <stage>`` runs one pipeline stage (DVC calls these).

User errors (bad params, missing or corrupt inputs) print one clear message and exit with
status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from churnlab.cli.deploy import DEPLOY_COMMANDS, add_deploy_commands, run_deploy_command
from churnlab.cli.studies import STUDY_COMMANDS, add_study_commands, run_study_command
from churnlab.config.params import load_params
from churnlab.errors import UserError

STAGES = ("prepare", "split", "featurize", "train", "baselines", "evaluate")


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
    ablation = sub.add_parser(
        "ablation", help="retrain with one feature family off (studies/dvc.yaml runs each)"
    )
    ablation.add_argument(
        "variant", help="full, raw_only, no_<family> or selection (see churnlab.features)"
    )
    sub.add_parser(
        "ablation-report", help="collect the ablation runs into metrics/ablation.json + a plot"
    )
    report = sub.add_parser(
        "report", help="markdown pull-request report: params, metrics and plots vs a base rev"
    )
    report.add_argument("--base", default="main", help="git revision to compare with")
    report.add_argument(
        "--output", default="report.md", help="markdown file to write (default: %(default)s)"
    )
    report.add_argument(
        "--images",
        choices=("embed", "artifact"),
        default="embed",
        help="embed the PNGs as relative links (CML uploads them) or only name them "
        "(attached as workflow artifacts); default: %(default)s",
    )
    add_deploy_commands(sub)
    add_study_commands(sub)
    return parser


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command == "report":
        from churnlab.evaluation import pr_report as report

        path = report.write_report(args.base, args.output, embed_images=args.images == "embed")
        print(path)
        return 0
    params = load_params(args.params)
    if args.command in DEPLOY_COMMANDS:
        return run_deploy_command(args, params)
    if args.command in STUDY_COMMANDS:
        return run_study_command(args, params)
    if args.command == "check-params":
        print(f"{args.params}: ok")
        return 0
    if args.command in ("ablation", "ablation-report"):
        from churnlab.stages import ablation

        if args.command == "ablation":
            ablation.main(params, args.variant)
        else:
            ablation.report(params)
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
