"""What each ``churnlab`` command does: one function per command (see ``commands.COMMANDS``).

Each takes the parsed arguments and the validated params and returns the exit status. It
imports what it runs only when it runs, so ``churnlab --help`` stays fast and a deployment
command never imports the pipeline's stages (nor a stage FastAPI or uvicorn).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from churnlab.config import paths

if TYPE_CHECKING:
    from churnlab.config.params import Params

log = logging.getLogger(__name__)

REJECTS_EXIT = 1  # churnlab score: more rows rejected than --max-reject-share allows
CRASH_EXIT = 3  # churnlab drift: an internal error (1 means drift, 2 a user error)


def run_stage(args: argparse.Namespace, params: Params) -> int:
    """A stage whose module is named like the command and has ``main(params)``."""
    importlib.import_module(f"churnlab.stages.{args.command}").main(params)
    return 0


def check_params(args: argparse.Namespace, params: Params) -> int:
    print(f"{args.params}: ok")
    return 0


def pr_report(args: argparse.Namespace, params: None) -> int:
    from churnlab.evaluation import pr_report as report

    path = report.write_report(args.base, args.output, embed_images=args.images == "embed")
    print(path)
    return 0


def ablation(args: argparse.Namespace, params: Params) -> int:
    from churnlab.stages import ablation

    ablation.main(params, args.variant)
    return 0


def ablation_report(args: argparse.Namespace, params: Params) -> int:
    from churnlab.stages import ablation

    ablation.report(params)
    return 0


def cv(args: argparse.Namespace, params: Params) -> int:
    from churnlab.stages import cv

    cv.run(params, args.model)
    return 0


def select(args: argparse.Namespace, params: Params) -> int:
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


def serve(args: argparse.Namespace, params: Params) -> int:
    import uvicorn

    os.environ["CHURNLAB_MODEL_DIR"] = args.models
    os.environ["CHURNLAB_PARAMS"] = args.params
    uvicorn.run(
        "churnlab.serving.api:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
    )
    return 0


def openapi(args: argparse.Namespace, params: Params) -> int:
    from churnlab import io
    from churnlab.serving.api import create_app
    from churnlab.serving.scorer import Scorer

    app = create_app(Scorer.load(args.models, params.serve))
    io.write_text(json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n", args.output)
    log.info("wrote %s", args.output)
    return 0


def score(args: argparse.Namespace, params: Params) -> int:
    from churnlab.serving.batch import score_report
    from churnlab.serving.scorer import Scorer

    serve_params = params.serve
    if args.reasons is not None:
        serve_params = serve_params.model_copy(update={"top_reasons": args.reasons})
    scorer = Scorer.load(args.models, serve_params, params.report.units, params.business)
    if args.engine == "spark":
        from churnlab.serving.batch import score_on_spark

        print(json.dumps(score_on_spark(scorer, args.input, args.output, params.engine.spark)))
        return 0
    report = score_report(scorer, args.input, args.output)
    print(json.dumps(report, sort_keys=True))
    share = report["rejected"] / max(report["rows"], 1)
    if share > args.max_reject_share:
        log.error(
            "%d of %d rows (%.2f%%) could not be scored, more than --max-reject-share %s; "
            "reasons in %s",
            report["rejected"],
            report["rows"],
            100 * share,
            args.max_reject_share,
            report["rejects_file"],
        )
        return REJECTS_EXIT
    return 0


def predict(args: argparse.Namespace, params: Params) -> int:
    from churnlab.errors import UserError
    from churnlab.serving.predict import predict_file
    from churnlab.serving.scorer import Scorer

    if not 0 <= args.accept_rejected <= 1:
        raise UserError(f"--accept-rejected must be a share in [0, 1], got {args.accept_rejected}")
    scorer = Scorer.load(args.models, params.serve.model_copy(update={"top_reasons": 0}))
    value_column = (
        args.value_column if args.value_column is not None else params.report.value_column
    )
    counts = predict_file(
        scorer, Path(args.input), Path(args.output), params, value_column, args.accept_rejected
    )
    print(json.dumps(counts, sort_keys=True))
    return 0


def drift(args: argparse.Namespace, params: Params) -> int:
    from churnlab.errors import UserError
    from churnlab.serving.monitor import run_drift

    try:
        return run_drift(args.reference, args.current, args.models, Path(args.output), params)
    except UserError:
        raise  # exit status 2 with one message
    except Exception:  # a bug: logged with its traceback, but never exit 1, which means drift
        log.exception("churnlab drift failed")
        return CRASH_EXIT


def generate(args: argparse.Namespace, params: Params) -> int:
    from churnlab.serving.monitor import generate_month

    generate_month(args, params)
    return 0


def register(args: argparse.Namespace, params: Params) -> int:
    from churnlab.serving.promotion import register

    return register(params, Path(args.metrics), args.name, args.version)


def clv(args: argparse.Namespace, params: Params) -> int:
    import pandas as pd

    from churnlab import io
    from churnlab.errors import UserError
    from churnlab.value.customers import value_of_customers

    output = Path(args.output)
    if output.suffix.lower() != ".csv" or output.resolve() == Path(args.purchases).resolve():
        raise UserError(f"{output}: the output must be a new .csv file, not the purchase log")
    try:
        end = None if args.period_end is None else pd.Timestamp(args.period_end)
    except ValueError:
        raise UserError(f"--period-end {args.period_end!r} is not a date") from None
    table = value_of_customers(Path(args.purchases), params.value, end)
    io.write_csv(table, output)
    log.info("%d customers, %d labelled churned -> %s", len(table), table.churned.sum(), output)
    return 0
