"""``churnlab report``: one markdown comment comparing the working tree with a base revision.

Reads ``params.yaml``, ``metrics/*.json`` and the ROC / precision-recall plot data of the base
revision straight from git (``git show``), so it needs no DVC remote and runs in a few seconds;
the head side is the working tree (what ``dvc repro`` just produced). Every numeric metric is
listed, changed or not, with its delta; the overlaid curves are rendered to PNG locally.

Choosing is done on validation (``evaluation.ranking``): the report opens with the validation
metrics and which side they prefer, then the test figures, marked as reported only; the DVC
experiments of HEAD (``dvc exp run``; read from their git refs) are ranked the same way.
Study outputs built from other data than the current pipeline are marked stale
(``evaluation.study_freshness``). (A little over 300 lines: one report, its sections in the
order they print.)
"""

from __future__ import annotations

import io as _io
import json
import subprocess
from pathlib import Path

import pandas as pd
import yaml

from churnlab import io
from churnlab.config import paths
from churnlab.errors import UserError
from churnlab.evaluation import plots, ranking, study_freshness

# The selection rows (``metrics/train.json`` keys, validation split) open the report.
SELECTION_ROWS = {
    ranking.SELECTION_KEY: "ROC-AUC (validation): the selection metric",
    "valid.pr_auc": "PR-AUC (validation)",
    "valid.brier": "Brier score (validation)",
    "decision.expected_net_savings": "expected net savings at threshold (validation)",
}
# Test-split rows (``metrics/evaluate.json`` keys) shown next; the full tables follow.
HEADLINE = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "ks": "KS",
    "top_decile_lift": "top-decile lift",
    "f1": "F1 at threshold",
    "brier": "Brier score",
    "business.at_budget.churners_caught": "churners caught at the contact budget",
    "business.at_threshold.expected_net_savings": "expected net savings at threshold",
    "business.extra_churners_caught_vs_rules": "extra churners caught vs current rules",
    "business.extra_churners_caught_vs_logreg": "extra churners caught vs logistic regression",
}
# Uplift rows (``metrics/uplift.json`` keys, test split), shown when either side has the file.
UPLIFT_HEADLINE = {
    "qini": "Qini coefficient",
    "auuc": "AUUC",
    "oracle_qini": "oracle Qini (synthetic)",
    "policy_net_gain": "uplift policy net gain",
    "risk_policy_net_gain": "risk policy net gain (same contacts)",
}
# Survival rows (``metrics/survival.json`` keys, test split), shown when either side has the file.
SURVIVAL_HEADLINE = {
    "concordance": "concordance (Harrell)",
    "uno_concordance": "concordance (Uno)",
    "oracle_concordance": "oracle concordance (synthetic)",
    "integrated_brier": "integrated Brier score",
    "km_integrated_brier": "integrated Brier score of Kaplan-Meier",
    "auc_60d": "time-dependent AUC at 60 days",
    "value.saved.by_value_at_risk": "value saved, calls by value at risk",
    "value.saved.by_probability": "value saved, calls by churn probability",
}
WORSE_SLICE = 0.005  # ROC-AUC drop of a slice flagged in the summary


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def show(rev: str, path: str) -> str | None:
    """A file's text at a revision, or None when it does not exist there."""
    done = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def resolve(base: str) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise UserError(
            f"unknown base revision {base!r}: fetch it first (e.g. git fetch origin {base}) "
            "or pass --base with a branch, tag or commit"
        )
    return done.stdout.strip()


def flatten(tree, prefix: str = "") -> dict:
    """Nested mappings → ``{"a.b.c": leaf}`` (the key paths ``dvc metrics diff`` shows)."""
    if not isinstance(tree, dict):
        return {prefix: tree} if prefix else {}
    out = {}
    for key, value in tree.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def fmt(value) -> str:
    """Sensible precision: integers as integers, money-sized floats with one decimal."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4f}"


def fmt_delta(old, new) -> str:
    if old is None or new is None:
        return "new" if old is None and new is not None else ("removed" if new is None else "")
    if not _numeric(old) or not _numeric(new):
        return "" if old == new else "changed"
    delta = new - old
    if delta == 0:
        return "0"
    if isinstance(old, int) and isinstance(new, int):
        return f"{delta:+,}"
    text = f"{delta:+,.1f}" if max(abs(old), abs(new)) >= 100 else f"{delta:+.4f}"
    return text if text.strip("+-0.,") else f"{delta:+.2g}"  # tiny change: keep its sign


def _raw(value) -> str:
    return "–" if value is None else f"`{value}`"


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def params_diff(old: dict, new: dict) -> list[tuple[str, object, object]]:
    a, b = flatten(old), flatten(new)
    return [(k, a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]


def metric_files(base: str) -> list[str]:
    head = {str(p) for p in paths.METRICS.glob("*.json")}
    listed = git("ls-tree", "--name-only", base, f"{paths.METRICS}/").split()
    return sorted(head | {p for p in listed if p.endswith(".json")})


def metrics_rows(old: dict, new: dict) -> list[tuple[str, object, object]]:
    """Every leaf of either revision (unchanged ones too), in key order."""
    a, b = flatten(old), flatten(new)
    return [(k, a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys())]


def _table(rows, header: str) -> list[str]:
    lines = [f"| {header} | base | head | change |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| `{k}` | {fmt(o)} | {fmt(n)} | {fmt_delta(o, n)} |" for k, o, n in rows]
    return lines


def worse_slices(old: dict, new: dict) -> list[str]:
    out = []
    for key, o, n in metrics_rows(old, new):
        if key.endswith(".roc_auc") and _numeric(o) and _numeric(n) and n - o <= -WORSE_SLICE:
            out.append(f"`{key.removesuffix('.roc_auc')}` ROC-AUC {fmt(o)} → {fmt(n)}")
    return out


def _read(text: str | None) -> dict:
    return json.loads(text) if text else {}


def load_revision(base: str) -> tuple[dict, dict, dict, dict]:
    """(base params, head params, base metrics by file, head metrics by file)."""
    head_params = yaml.safe_load(paths.PARAMS.read_text(encoding="utf-8")) or {}
    base_params = _params_at(base)
    files = metric_files(base)
    base_metrics = {f: _read(show(base, f)) for f in files}
    head_metrics = {f: _read(Path(f).read_text()) if Path(f).exists() else {} for f in files}
    return base_params, head_params, base_metrics, head_metrics


def curve_pngs(base: str, label: str, stem: Path) -> list[tuple[str, Path]]:
    """Overlaid ROC and PR curves of base and head, rendered locally to PNG."""
    out = []
    specs = [
        ("roc.csv", "fpr", "tpr", "ROC curve (test): base vs head", "roc", "chance"),
        (
            "precision_recall.csv",
            "recall",
            "precision",
            "Precision-recall (test): base vs head",
            "pr",
            None,
        ),
    ]
    for name, x, y, title, suffix, diagonal in specs:
        curves = {}
        old = show(base, f"{paths.PLOTS}/{name}")
        if old:
            curves[f"base ({label})"] = pd.read_csv(_io.StringIO(old))
        if (paths.PLOTS / name).exists():
            curves["head (this change)"] = pd.read_csv(paths.PLOTS / name)
        if curves:
            target = stem.with_name(f"{stem.stem}_{suffix}.png")
            plots.overlay_png(curves, x, y, title, target, diagonal=diagonal)
            out.append((title, target))
    return out


def _summary(title: str, labels: dict, old: dict, new: dict) -> list[str]:
    """A base/head/change table of the ``labels`` keys present on either side."""
    lines = [title, "", "| metric | base | head | change |", "| --- | ---: | ---: | ---: |"]
    for key, name in labels.items():
        if key in old or key in new:
            o, n = old.get(key), new.get(key)
            lines.append(f"| {name} | {fmt(o)} | {fmt(n)} | {fmt_delta(o, n)} |")
    return lines


def selection_summary(base_metrics: dict, head_metrics: dict) -> list[str]:
    """Validation metrics of both sides and which one the selection metric prefers."""
    old = flatten(base_metrics.get(ranking.SELECTION_FILE, {}))
    new = flatten(head_metrics.get(ranking.SELECTION_FILE, {}))
    key = ranking.SELECTION_KEY
    choice = ranking.verdict(*(ranking.number(side.get(key)) for side in (old, new)))
    return [
        *_summary("### Selection (validation split)", SELECTION_ROWS, old, new),
        "",
        f"**Selection metric** (`{ranking.SELECTION_METRIC}`): {choice}.",
        "",
    ]


def _params_at(rev: str) -> dict:
    return yaml.safe_load(show(rev, str(paths.PARAMS)) or "") or {}


def experiment_commits(sha: str) -> dict[str, str]:
    """The DVC experiments based on commit ``sha``: name → commit (read from their git refs)."""
    form = "--format=%(refname) %(objectname)"
    refs = git("for-each-ref", form, f"refs/exps/{sha[:2]}/{sha[2:]}/").splitlines()
    return dict(line.rsplit("/", 1)[1].split(" ") for line in refs)


def experiments_section(head: str) -> list[str]:
    """HEAD and its experiments ranked by the selection metric (nothing when there are none)."""
    commits = {f"HEAD ({head[:7]})": head} | experiment_commits(head)
    if len(commits) == 1:
        return []
    files = (ranking.SELECTION_FILE, ranking.TEST_FILE)
    runs = {
        name: {f"{f}:{k}": v for f in files for k, v in flatten(_read(show(rev, f))).items()}
        for name, rev in commits.items()
    }
    head_params = _params_at(head)
    lines = [
        f"### Experiments of HEAD, ranked by {ranking.SELECTION_LABEL}",
        "",
        f"Ordered by `{ranking.SELECTION_METRIC}`; the test ROC-AUC is shown, never used to "
        "choose.",
        "",
        f"| rank | run | {ranking.SELECTION_LABEL} | test ROC-AUC | params changed from HEAD |",
        "| ---: | --- | ---: | ---: | --- |",
    ]
    for run in ranking.rank_runs(runs):
        changed = params_diff(head_params, _params_at(commits[run.name]))
        text = ", ".join(f"`{k}={v}`" for k, _, v in changed) or "–"
        rank = "–" if run.rank is None else ("1 (selected)" if run.rank == 1 else str(run.rank))
        lines.append(f"| {rank} | {run.name} | {fmt(run.selection)} | {fmt(run.test)} | {text} |")
    return [*lines, ""]


def build_report(base: str, output: Path, embed_images: bool = True) -> str:
    sha = resolve(base)
    label = f"{base} @ {sha[:7]}"
    base_params, head_params, base_metrics, head_metrics = load_revision(sha)
    metric_sides = (base_metrics, head_metrics)
    studies = study_freshness.study_status()
    lines = ["## churnlab: evaluation report", "", f"Compared with **{label}**.", ""]
    lines += study_freshness.stale_note(studies)
    lines += selection_summary(base_metrics, head_metrics)
    evaluate = str(paths.METRICS / "evaluate.json")
    old_e, new_e = flatten(base_metrics.get(evaluate, {})), flatten(head_metrics.get(evaluate, {}))
    lines += _summary("### Test split (reported, never used to choose)", HEADLINE, old_e, new_e)
    segments = str(paths.METRICS / "segments.json")
    worse = worse_slices(base_metrics.get(segments, {}), head_metrics.get(segments, {}))
    lines += [
        "",
        "**Slices that got worse** (ROC-AUC down ≥ "
        f"{WORSE_SLICE}): " + ("; ".join(worse) if worse else "none."),
        "",
    ]
    for name, title, rows in (
        ("uplift", "### Uplift (test split)", UPLIFT_HEADLINE),
        ("survival", "### Time to churn (test split)", SURVIVAL_HEADLINE),
    ):
        sides = [flatten(m.get(str(paths.METRICS / f"{name}.json"), {})) for m in metric_sides]
        if any(sides):
            lines += [*_summary(title, rows, *sides), ""]
    changed = params_diff(base_params, head_params)
    lines += ["### Params diff", ""]
    if changed:
        lines += ["| param | base | head |", "| --- | --- | --- |"]
        # params verbatim (a learning rate of 1e-05 must not print as 0.0000)
        lines += [f"| `{k}` | {_raw(o)} | {_raw(n)} |" for k, o, n in changed]
    else:
        lines.append("No params changed.")
    lines += ["", *experiments_section(resolve("HEAD")), "### Metrics diff (every metric)", ""]
    for name in base_metrics:
        rows = metrics_rows(base_metrics[name], head_metrics[name])
        is_open = " open" if name == evaluate else ""
        stale = " (stale: built from other data)" if study_freshness.is_stale(name, studies) else ""
        lines += [
            f"<details{is_open}><summary><code>{name}</code> ({len(rows)} values){stale}</summary>",
            "",
            *_table(rows, "metric"),
            "",
            "</details>",
            "",
        ]
    lines += ["### Plots", ""]
    for title, png in curve_pngs(sha, label, output):
        rel = png.name
        lines.append(
            f"![{title}]({rel})"
            if embed_images
            else f"- {title}: `{rel}` (in this run's workflow artifacts)"
        )
    lines += [
        "",
        "_Generated by `churnlab report`; all numbers are read from `metrics/` of both revisions._",
    ]
    return "\n".join(lines) + "\n"


def write_report(base: str, output: str | Path, embed_images: bool = True) -> Path:
    output = Path(output)
    io.write_text(build_report(base, output, embed_images), output)
    return output
