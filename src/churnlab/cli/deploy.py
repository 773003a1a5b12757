"""Deployment subcommands of ``churnlab``: serve, openapi, score, drift, generate, register.

Kept apart from ``cli.py`` so the stage commands stay short; heavy imports (FastAPI, uvicorn,
scipy) happen only when a deployment command runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from churnlab.config import paths
from churnlab.config.params import Params

log = logging.getLogger(__name__)

DEPLOY_COMMANDS = ("serve", "openapi", "score", "drift", "generate", "register")


def add_deploy_commands(sub) -> None:
    serve = sub.add_parser("serve", help="start the REST API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--models", default=str(paths.MODELS), help="model directory")
    openapi = sub.add_parser("openapi", help="write the API's OpenAPI document")
    openapi.add_argument("output", nargs="?", default="docs/openapi.json")
    openapi.add_argument("--models", default=str(paths.MODELS))
    score = sub.add_parser("score", help="score a CSV or Parquet file of prepared customers")
    score.add_argument("input")
    score.add_argument("output")
    score.add_argument("--models", default=str(paths.MODELS))
    score.add_argument(
        "--reasons", type=int, default=None, help="top reasons per row (default serve.top_reasons)"
    )
    drift = sub.add_parser("drift", help="feature and prediction drift between two tables")
    drift.add_argument("--reference", required=True)
    drift.add_argument("--current", required=True)
    drift.add_argument("--models", default=str(paths.MODELS))
    drift.add_argument("--output", default="drift")
    gen = sub.add_parser("generate", help="a synthetic prepared month, optionally drifted")
    gen.add_argument("output")
    gen.add_argument("--snapshot-date", required=True)
    gen.add_argument("--drift", choices=["none", "price_change", "new_plan"], default="none")
    gen.add_argument("--n-customers", type=int, default=None)
    gen.add_argument("--seed", type=int, default=None)
    reg = sub.add_parser("register", help="promote the model if it passes the gate (GTO)")
    reg.add_argument("--metrics", default=str(paths.METRICS / "evaluate.json"))
    reg.add_argument("--name", default="churn-model")
    reg.add_argument("--version", default=None, help="semver, e.g. v1.2.0 (default: next)")


def _serve_params(args, params: Params) -> Params:
    if getattr(args, "reasons", None) is None:
        return params
    serve = params.serve.model_copy(update={"top_reasons": args.reasons})
    return params.model_copy(update={"serve": serve})


def run_deploy_command(args: argparse.Namespace, params: Params) -> int:
    if args.command == "serve":
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
    if args.command == "openapi":
        from churnlab import io
        from churnlab.serving.api import create_app
        from churnlab.serving.scorer import Scorer

        app = create_app(Scorer.load(args.models, params.serve))
        io.write_text(json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n", args.output)
        log.info("wrote %s", args.output)
        return 0
    if args.command == "score":
        from churnlab.serving.batch import score_file
        from churnlab.serving.scorer import Scorer

        params = _serve_params(args, params)
        counts = score_file(Scorer.load(args.models, params.serve), args.input, args.output)
        print(json.dumps(counts, sort_keys=True))
        return 0
    if args.command == "drift":
        from churnlab.serving.monitor import run_drift

        return run_drift(args.reference, args.current, args.models, Path(args.output), params)
    if args.command == "generate":
        from churnlab.serving.monitor import generate_month

        generate_month(args, params)
        return 0
    from churnlab.serving.promotion import register

    return register(params, Path(args.metrics), args.name, args.version)
