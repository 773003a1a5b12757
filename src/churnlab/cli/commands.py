"""The table of ``churnlab`` commands: name → function, group, help, arguments, examples.

Adding a command is one ``Command`` entry here and its function in :mod:`churnlab.cli.runners`;
:mod:`churnlab.cli.main` builds the parser and ``churnlab --help`` (grouped) from the table.
The module is over 300 lines because it is that one table, with each command's help and
examples: splitting it would scatter what ``churnlab --help`` shows.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from churnlab.cli import runners as r
from churnlab.config import paths

if TYPE_CHECKING:
    from churnlab.config.params import Params


@dataclass(frozen=True)
class Arg:
    """One ``add_argument`` call: its flags (or positional name) and keyword options."""

    flags: tuple[str, ...]
    options: dict[str, Any]


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(flags, options)


class OneOf:
    """Mutually exclusive arguments (exactly one of them when ``required``)."""

    def __init__(self, *args: Arg, required: bool = True) -> None:
        self.args, self.required = args, required


@dataclass(frozen=True)
class Command:
    """One ``churnlab`` command: its name, section of the help, one-line help, what runs."""

    name: str
    group: str  # a key of GROUPS
    help: str
    # What runs; the default runs the stage module named like the command (its ``main``).
    run: Callable[[argparse.Namespace, Params | None], int] = r.run_stage
    # The arguments, or a function returning them when they need an import (added lazily).
    arguments: tuple[Arg | OneOf, ...] | Callable[[], tuple[Arg | OneOf, ...]] = ()
    epilog: str | None = None  # examples, exit statuses
    needs_params: bool = True  # load and validate --params before running


# Section titles of `churnlab --help`, in their order.
GROUPS = {
    "stages": "pipeline stages (dvc.yaml runs these)",
    "studies": "studies (studies/dvc.yaml runs these; select applies their choice)",
    "deploy": "deployment",
    "tools": "checks and reports",
}


# churnlab clv (issue 18): customer value of a purchase log
CLV_HELP = "customer value from a purchase log (BG/NBD + Gamma-Gamma): P(alive), expected value"
CLV_ARGUMENTS = (
    arg("purchases", help="CSV or Parquet purchase log: customer_id, date, amount"),
    arg("output", help="CSV to write, one row per customer (not the input)"),
    arg("--period-end", default=None, help="end of the history (default: the last purchase)"),
)

# The table.

MODELS = arg(
    "--models",
    default=str(paths.MODELS),
    help="model directory (pipeline.skops, metadata.json); default: %(default)s",
)

SERVE_EXAMPLES = """examples:
  churnlab serve                                   # http://127.0.0.1:8000, one uvicorn worker
  churnlab serve --host 0.0.0.0 --port 8080 --models /srv/churnlab/models
  CHURNLAB_API_KEY=secret churnlab serve           # every route but /health needs X-API-Key
  curl -s localhost:8000/health
"""

SCORE_EXAMPLES = """\
The input has the columns of the table the model was trained on (with or without the id
and target columns), read and converted as prepare read it; for the synthetic data, prepared
customers. The id column passes through to the output. A row that cannot be scored keeps its
place with an error message and no score and is listed in OUTPUT_STEM.rejects.csv; new
categories are scored and counted. Prints the counts as JSON. Exit status: 0 every row
scored (or no more rejected than --max-reject-share), 1 more rejected rows, 2 user error
(nothing written).

examples:
  churnlab score telco.csv scored.csv                   # customers.parquet: same
  churnlab score telco.csv scored.csv --max-reject-share 0.01
  churnlab score customers.csv scored.csv --reasons 0   # no reasons (much faster)
  churnlab score customers.csv scored.parquet --models /srv/churnlab/models
"""

DRIFT_EXAMPLES = """\
Both tables go through the conversions the model was trained with: a user's monthly file
has the training table's columns, as for `churnlab score`. Writes drift.json and drift.png
into the --output folder. Exit status: 0 no alert, 1 drift alert (look, then retrain),
2 user error (an empty file, an all-missing column), 3 internal error.

examples:
  churnlab drift --current exports/customers-2026-07.csv    # vs the train split
  churnlab generate data/monitor/2026-07.parquet --snapshot-date 2026-07-31 --drift price_change
  churnlab drift --reference data/split/train.parquet \\
                 --current data/monitor/2026-07.parquet --output drift/
"""

PREDICT_EXAMPLES = """\
The file is read and converted as `churnlab score` reads it (the training table's columns,
with or without the id and target). Writes predictions.csv (every customer: id, churn
probability, risk tier, expected value at risk, top reasons in words, suggested action),
call_list.csv (the contact budget of business.contact_budget_share, highest expected value
at risk first), rejected.csv and report.html into the --output folder, and prints the counts
as JSON. A category never seen in training is scored and listed (unseen_categories), not
rejected. Exit status: 0 written, 2 user error (a missing column, an empty file, more
rejected rows than --accept-rejected; nothing is written).

examples:
  churnlab predict customers.csv                       # -> predictions/
  churnlab predict customers.csv --output this-week --value-column yearly_revenue
  churnlab predict export.parquet --accept-rejected 0.01   # up to 1% unreadable rows
"""

REGISTER_EXAMPLES = """\
Promotes only when the metrics pass registry.min_roc_auc and beat the logistic
regression baseline by registry.baseline_margin (GTO tags on HEAD). Exit status: 0 promoted,
1 refused by the gate, 2 user error.

examples:
  churnlab register                    # metrics/evaluate.json, the next version
  churnlab register --version v1.2.0
  gto show                             # versions and stages (then: git push --tags)
"""


def share(text: str) -> float:
    """A share in [0, 1] (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text!r}")
    return value


def cv_arguments() -> tuple[Arg, ...]:
    from churnlab.config.models import MODEL_NAMES  # pydantic: only when cv's parser is used

    return (arg("model", help=f"one of: {', '.join(MODEL_NAMES)}"),)


COMMANDS = (
    Command("prepare", "stages", "raw tables -> cleaned, pseudonymised snapshot (data/prepared)"),
    Command("split", "stages", "prepared customers -> train / valid / test (data/split)"),
    Command("featurize", "stages", "fit the featurizer on train, transform every split"),
    Command("train", "stages", "fit train.model, calibrate it, choose the threshold"),
    Command("baselines", "stages", "today's rules and a logistic regression on the same split"),
    Command("evaluate", "stages", "test metrics, plots, model card, top-risk customers"),
    Command("survival", "stages", "time to churn: survival models, metrics, value at risk"),
    Command("uplift", "stages", "uplift learners on the past campaign; the contact policy"),
    Command(
        "ablation",
        "studies",
        "retrain with one feature family off (one run per variant)",
        r.ablation,
        (arg("variant", help="full, raw_only, no_<family> or selection (see churnlab.features)"),),
    ),
    Command(
        "ablation-report",
        "studies",
        "collect the ablation runs into metrics/ablation.json + a plot",
        r.ablation_report,
    ),
    Command("folds", "studies", "assign the shared cross-validation folds"),
    Command("cv", "studies", "cross-validate one model on the shared folds", r.cv, cv_arguments),
    Command("leaderboard", "studies", "rank the cross-validated models and select one"),
    Command("search", "studies", "hyper-parameter search for search.model (Optuna)"),
    Command("value", "studies", "BTYD check: fit BG/NBD + Gamma-Gamma on simulated purchases"),
    Command(
        "select",
        "studies",
        "apply or check the leaderboard's choice in params.yaml",
        r.select,
        (
            OneOf(
                arg(
                    "--apply",
                    action="store_true",
                    help="write the selected model (and its searched params) into params.yaml",
                ),
                arg(
                    "--check",
                    action="store_true",
                    help="exit 1 if params.yaml's train.model is not the leaderboard's choice",
                ),
            ),
        ),
    ),
    Command(
        "serve",
        "deploy",
        "start the REST API (uvicorn)",
        r.serve,
        (
            arg("--host", default="127.0.0.1", help="address to listen on; default: %(default)s"),
            arg("--port", type=int, default=8000, help="port to listen on; default: %(default)s"),
            MODELS,
        ),
        SERVE_EXAMPLES,
    ),
    Command(
        "openapi",
        "deploy",
        "write the API's OpenAPI document",
        r.openapi,
        (
            arg(
                "output",
                nargs="?",
                default="docs/openapi.json",
                help="JSON file to write; default: %(default)s",
            ),
            MODELS,
        ),
    ),
    Command(
        "score",
        "deploy",
        "score a CSV or Parquet file of customers",
        r.score,
        (
            arg("input", help="CSV or Parquet file: the training table's columns"),
            arg("output", help="scored file to write (.csv or .parquet), not the input"),
            MODELS,
            arg(
                "--reasons",
                type=int,
                default=None,
                help="top reasons per row (default serve.top_reasons)",
            ),
            arg(
                "--max-reject-share",
                type=share,
                default=0.0,
                help="share of rows that may be rejected with exit status 0 (e.g. 0.01); "
                "default: %(default)s, any rejected row exits 1",
            ),
            arg(
                "--engine",
                choices=["local", "spark"],
                default="local",
                help="spark: score on the engine.spark session into a Parquet directory "
                "(docs/spark.md); default: %(default)s",
            ),
        ),
        SCORE_EXAMPLES,
    ),
    Command("clv", "deploy", CLV_HELP, r.clv, CLV_ARGUMENTS),
    Command(
        "predict",
        "deploy",
        "who to call: score a customers file, reasons, call list, HTML report",
        r.predict,
        (
            arg("input", help="CSV or Parquet file of your current customers"),
            arg(
                "--output",
                default="predictions",
                help="folder for the four outputs; default: %(default)s",
            ),
            MODELS,
            arg(
                "--value-column",
                default=None,
                help="column with each customer's value (default report.value_column, "
                "else business.retained_customer_value for everyone)",
            ),
            arg(
                "--accept-rejected",
                type=float,
                default=0.0,
                help="largest share of unreadable rows to accept (listed in rejected.csv); "
                "default: %(default)s",
            ),
        ),
        PREDICT_EXAMPLES,
    ),
    Command(
        "drift",
        "deploy",
        "feature and prediction drift between two tables",
        r.drift,
        (
            arg(
                "--reference",
                default=str(paths.SPLIT / "train.parquet"),
                help="table the model was trained on (CSV/Parquet); default: %(default)s",
            ),
            arg(
                "--current",
                required=True,
                help="table to compare with it (CSV/Parquet), e.g. this month's customers",
            ),
            MODELS,
            arg("--output", default="drift", help="folder for the report; default: %(default)s"),
        ),
        DRIFT_EXAMPLES,
    ),
    Command(
        "generate",
        "deploy",
        "a synthetic prepared month, optionally drifted",
        r.generate,
        (
            arg("output", help="file to write (.csv, else Parquet)"),
            arg("--snapshot-date", required=True, help="the month's snapshot date, YYYY-MM-DD"),
            arg(
                "--drift",
                choices=["none", "price_change", "new_plan"],
                default="none",
                help="drift to inject; default: %(default)s",
            ),
            arg(
                "--n-customers",
                type=int,
                default=None,
                help="customers to generate (default synthetic.n_customers)",
            ),
            arg(
                "--seed",
                type=int,
                default=None,
                help="random seed (default synthetic.seed plus the date's ordinal)",
            ),
        ),
    ),
    Command(
        "register",
        "deploy",
        "promote the model if it passes the gate (GTO)",
        r.register,
        (
            arg(
                "--metrics",
                default=str(paths.METRICS / "evaluate.json"),
                help="metrics of the model to promote; default: %(default)s",
            ),
            arg("--name", default="churn-model", help="artifact name; default: %(default)s"),
            arg("--version", default=None, help="semver, e.g. v1.2.0 (default: next)"),
        ),
        REGISTER_EXAMPLES,
    ),
    Command("check-params", "tools", "validate params.yaml and exit", r.check_params),
    Command(
        "report",
        "tools",
        "markdown pull-request report: params, metrics, plots vs a base rev",
        r.pr_report,
        (
            arg("--base", default="main", help="git revision to compare with"),
            arg(
                "--output",
                default="report.md",
                help="markdown file to write (default: %(default)s)",
            ),
            arg(
                "--images",
                choices=("embed", "artifact"),
                default="embed",
                help="embed the PNGs as relative links (CML uploads them) or only name them "
                "(attached as workflow artifacts); default: %(default)s",
            ),
        ),
        needs_params=False,
    ),
)
