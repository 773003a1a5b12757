"""Subcommands of the model-selection studies: folds, cv, leaderboard, search, select."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from churnlab.config import paths
from churnlab.config.models import MODEL_NAMES
from churnlab.config.params import Params

STUDY_COMMANDS = ("folds", "cv", "leaderboard", "search", "select")


def add_study_commands(sub) -> None:
    sub.add_parser("folds", help="assign the shared cross-validation folds (studies)")
    cv = sub.add_parser("cv", help="cross-validate one model on the shared folds (studies)")
    cv.add_argument("model", help=f"one of: {', '.join(MODEL_NAMES)}")
    sub.add_parser("leaderboard", help="rank the cross-validated models and select one")
    sub.add_parser("search", help="hyper-parameter search for search.model (Optuna)")
    select = sub.add_parser("select", help="apply or check the leaderboard's choice in params.yaml")
    mode = select.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--apply",
        action="store_true",
        help="write the selected model (and its searched params) into params.yaml",
    )
    mode.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if params.yaml's train.model differs from the leaderboard's choice",
    )


def run_study_command(args: argparse.Namespace, params: Params) -> int:
    if args.command == "cv":
        from churnlab.stages import cv

        cv.run(params, args.model)
        return 0
    if args.command == "select":
        from churnlab.modeling import selection

        params_path = Path(args.params)
        if args.apply:
            changes = selection.apply(params_path, paths.LEADERBOARD, paths.SEARCH)
            for key, value in changes.items():
                print(f"{params_path}: {key} = {value}")
            return 0
        problem = selection.check(params_path, paths.LEADERBOARD)
        if problem:
            print(f"churnlab: {problem}")
            return 1
        print(f"{params_path}: train.model matches {paths.LEADERBOARD}")
        return 0
    importlib.import_module(f"churnlab.stages.{args.command}").main(params)
    return 0
