"""Benchmark the churnlab pipeline: per-stage wall time and peak memory at several sizes.

For each ``--sizes`` value a temporary directory (outside the repository) gets a copy of
``params.yaml`` with only ``synthetic.n_customers`` changed, and the five stages run there one
by one as ``churnlab --params params.yaml <stage>`` subprocesses. At each size a bare XGBoost fit
on the same feature matrices (same hyper-parameters and early stopping) gives the share of the
train stage that is model fitting. Separately, ``dvc repro`` is timed in throw-away git + DVC
repositories: full and no-op, with the repository's params.yaml as is and at the smallest size.

Results go to ``benchmarks/results/pipeline.json``. Run from anywhere with the project venv:

    /work/venv/bin/python benchmarks/bench_pipeline.py [--sizes 10000 100000] [--skip-dvc]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import psutil
import yaml

log = logging.getLogger("bench_pipeline")

REPO = Path(__file__).resolve().parents[1]
FALLBACK_STAGES = ("prepare", "split", "featurize", "train", "evaluate")
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "pipeline.json"
MIB = 1024 * 1024
NOOP_REPEATS = 3
REPEAT_BUDGET_SECONDS = 60.0  # bare fits: no further repeats once this much time is spent
# What the project aims for; recorded next to the figures, never asserted.
TARGETS = {
    "default_dvc_repro_seconds": 60.0,
    "noop_dvc_repro_seconds": 2.0,
    "one_million_end_to_end_seconds": 600.0,
    "one_million_peak_rss_gib": 6.0,
}
WALL_TIME_METHOD = "time.perf_counter() from Popen to os.wait4() of the subprocess"
MEMORY_METHOD = (
    "peak_rss_mib = max(kernel, sampled): kernel = ru_maxrss from os.wait4() on the stage "
    "subprocess (exact high-water mark of the largest single process in its tree, i.e. the "
    "child or any descendant it waited for); sampled = psutil sum of RSS over the whole "
    "process tree, polled every {interval:g} s (catches concurrent processes, such as dvc plus "
    "the stage it runs, but may miss short spikes)"
)


# --------------------------------------------------------------------------------------------
# Measuring one subprocess
# --------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    seconds: float
    exit_code: int
    kernel_peak_rss_mib: float
    sampled_peak_tree_rss_mib: float
    user_cpu_seconds: float
    system_cpu_seconds: float
    load_before: float = 0.0
    load_after: float = 0.0
    timed_out: bool = False
    output_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def peak_rss_mib(self) -> float:
        return max(self.kernel_peak_rss_mib, self.sampled_peak_tree_rss_mib)

    def as_dict(self) -> dict:
        out = {
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
            "ok": self.ok,
            "peak_rss_mib": round(self.peak_rss_mib, 1),
            "kernel_peak_rss_mib": round(self.kernel_peak_rss_mib, 1),
            "sampled_peak_tree_rss_mib": round(self.sampled_peak_tree_rss_mib, 1),
            "user_cpu_seconds": round(self.user_cpu_seconds, 3),
            "system_cpu_seconds": round(self.system_cpu_seconds, 3),
            # Other work on the machine inflates wall times: the 1-minute load average
            # (this process tree included) before and after the command.
            "load_avg_1m_before": round(self.load_before, 2),
            "load_avg_1m_after": round(self.load_after, 2),
        }
        if self.exit_code < 0:
            out["killed_by_signal"] = signal.Signals(-self.exit_code).name
        if self.timed_out:
            out["timed_out"] = True
        if not self.ok:
            out["output_tail"] = self.output_tail
        return out


class TreeSampler(threading.Thread):
    """Polls the summed RSS of a process and all its descendants until stopped."""

    def __init__(self, pid: int, interval: float):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_bytes = 0
        self._stop_event = threading.Event()
        try:
            self._root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self._root = None

    def _sample(self) -> int:
        if self._root is None:
            return 0
        total = 0
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return 0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_bytes = max(self.peak_bytes, self._sample())
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def tail(path: Path, lines: int = 25) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def measure(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    interval: float,
    timeout: float | None,
) -> Measurement:
    """Run ``cmd`` to completion; wall time, exit code, CPU and peak memory of its tree."""
    with log_path.open("ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        timed_out = threading.Event()

        def kill_tree() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill_tree) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            kill_tree()
            proc.wait()
            raise
        finally:
            if timer:
                timer.cancel()
        seconds = time.perf_counter() - start
        sampler.stop()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    result = Measurement(
        seconds=seconds,
        exit_code=code,
        kernel_peak_rss_mib=usage.ru_maxrss * 1024 / MIB,  # ru_maxrss is KiB on Linux
        sampled_peak_tree_rss_mib=sampler.peak_bytes / MIB,
        user_cpu_seconds=usage.ru_utime,
        system_cpu_seconds=usage.ru_stime,
        timed_out=timed_out.is_set(),
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )
    if not result.ok:
        result.output_tail = tail(log_path)
    return result


# --------------------------------------------------------------------------------------------
# The bare XGBoost fit (runs in its own subprocess: `bench_pipeline.py --bare-fit`)
# --------------------------------------------------------------------------------------------


def pipeline_rounds(workdir: Path) -> int | None:
    """Boosting rounds the train stage built: rows of its dvclive validation curve."""
    curve = workdir / "plots/train/plots/metrics/valid/logloss.tsv"
    if not curve.exists():
        return None
    return max(len(curve.read_text(encoding="utf-8").splitlines()) - 1, 0)


def bare_fit(workdir: Path, repeats: int) -> None:
    """Fit XGBoost on data/features as the train stage does; write bare_fit.json.

    Each fit runs up to ``repeats`` times, but stops repeating once its runs add up to
    REPEAT_BUDGET_SECONDS; ``fit_seconds`` is the median (XGBoost's OpenMP threads slow down
    sharply when anything else competes for the CPUs, so single fits are noisy).
    """
    import numpy as np
    import pandas as pd
    import xgboost as xgb

    from churnlab.modeling.zoo.xgboost import train_curve_sample

    params = yaml.safe_load((workdir / "params.yaml").read_text(encoding="utf-8"))["train"]
    x = params["xgboost"]
    meta = json.loads((workdir / "models/metadata.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    train = pd.read_parquet(workdir / "data/features/train.parquet")
    valid = pd.read_parquet(workdir / "data/features/valid.parquet")
    X, y = train.drop(columns=["churned"]), train["churned"].to_numpy()
    X_valid, y_valid = valid.drop(columns=["churned"]), valid["churned"].to_numpy()
    read_seconds = time.perf_counter() - start
    positives = max(int(np.sum(y)), 1)
    common = dict(
        learning_rate=x["learning_rate"],
        max_depth=x["max_depth"],
        min_child_weight=float(x["min_child_weight"]),
        subsample=x["subsample"],
        colsample_bytree=x["colsample_bytree"],
        reg_lambda=float(x["reg_lambda"]),
        scale_pos_weight=(
            (len(y) - positives) / positives if params.get("class_weight") == "balanced" else 1.0
        ),
        tree_method="hist",
        n_jobs=x["n_jobs"],
        random_state=params["seed"],
    )

    # 1. The same fit as the train stage: early stopping on validation; eval sets as there.
    fit_runs: list[float] = []
    while len(fit_runs) < repeats and sum(fit_runs) < REPEAT_BUDGET_SECONDS:
        model = xgb.XGBClassifier(
            n_estimators=x["n_estimators"],
            early_stopping_rounds=x["early_stopping_rounds"],
            eval_metric=["logloss", "auc"],
            **common,
        )
        start = time.perf_counter()
        X_curve, y_curve = train_curve_sample(X, y, params["seed"])
        model.fit(X, y, eval_set=[(X_curve, y_curve), (X_valid, y_valid)], verbose=False)
        fit_runs.append(round(time.perf_counter() - start, 3))
    rounds = model.get_booster().num_boosted_rounds()

    # 2. Just the trees: as many rounds as the pipeline built, no evaluation sets at all.
    target_rounds = pipeline_rounds(workdir) or rounds
    plain_runs: list[float] = []
    while len(plain_runs) < repeats and sum(plain_runs) < REPEAT_BUDGET_SECONDS:
        plain = xgb.XGBClassifier(n_estimators=target_rounds, **common)
        start = time.perf_counter()
        plain.fit(X, y)
        plain_runs.append(round(time.perf_counter() - start, 3))

    result = {
        "read_seconds": round(read_seconds, 3),
        "fit_seconds": statistics.median(fit_runs),
        "fit_seconds_runs": fit_runs,
        "rounds": rounds,
        "best_iteration": model.best_iteration,
        "pipeline_best_iteration": meta.get("best_iteration"),
        "best_iteration_matches_pipeline": model.best_iteration == meta.get("best_iteration"),
        "rounds_match_pipeline": rounds == pipeline_rounds(workdir),
        "no_eval_fit_seconds": statistics.median(plain_runs),
        "no_eval_fit_seconds_runs": plain_runs,
        "no_eval_rounds": target_rounds,
        "train_rows": len(X),
        "n_features": X.shape[1],
    }
    (workdir / "bare_fit.json").write_text(
        json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


# --------------------------------------------------------------------------------------------
# Pipeline runs and dvc repro
# --------------------------------------------------------------------------------------------


SNAPSHOT_FILES = ("params.yaml", "dvc.yaml", ".dvcignore", ".gitignore")


def snapshot_repository(dest: Path) -> str:
    """Copy src/ and the pipeline files to ``dest``; return a digest of what was copied.

    Every measured command runs this copy (PYTHONPATH points at it), so edits made to the
    working tree while a long benchmark runs cannot mix two versions of the code.
    """
    shutil.copytree(
        REPO / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in SNAPSHOT_FILES:
        if (REPO / name).exists():
            shutil.copy2(REPO / name, dest / name)
    if (REPO / "inputs").is_dir():  # the prepare stage's tracked-inputs folder (a dependency)
        shutil.copytree(REPO / "inputs", dest / "inputs")
    digest = hashlib.sha256()
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(dest)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def pipeline_stages(dvc_yaml: Path) -> list[str]:
    """The ``churnlab <stage>`` stages of dvc.yaml in dependency order (file order on ties).

    A stage comes after every stage whose output it depends on (a dep equal to or inside an
    out). The pipeline grows stages over time; reading them here keeps the benchmark whole.
    """
    if not dvc_yaml.exists():
        return list(FALLBACK_STAGES)
    stages = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")).get("stages", {})

    def paths(entries) -> list[str]:
        return [next(iter(e)) if isinstance(e, dict) else str(e) for e in entries or []]

    outs = {
        name: paths(spec.get("outs")) + paths(spec.get("metrics")) + paths(spec.get("plots"))
        for name, spec in stages.items()
    }
    needs = {
        name: {
            other
            for dep in paths(spec.get("deps"))
            for other, produced in outs.items()
            if other != name
            and any(dep == o or dep.startswith(o.rstrip("/") + "/") for o in produced)
        }
        for name, spec in stages.items()
    }
    order: list[str] = []
    while len(order) < len(stages):
        ready = [n for n in stages if n not in order and needs[n] <= set(order)]
        if not ready:
            raise RuntimeError(f"{dvc_yaml}: circular stage dependencies")
        order.append(ready[0])
    commands = {name: str(spec.get("cmd", "")).split() for name, spec in stages.items()}
    return [n for n in order if commands[n][:1] == ["churnlab"] and commands[n][-1:] == [n]]


@dataclass
class Settings:
    snapshot: Path
    stages: list[str]
    env: dict[str, str]
    interval: float
    timeout: float | None
    wait_idle: float = 0.0
    bare_fit_repeats: int = 3


def wait_for_idle(settings: Settings, what: str, busy_percent: float = 25.0) -> dict:
    """Wait up to ``settings.wait_idle`` s for the machine's CPUs to be mostly idle."""
    waited, deadline = 0.0, time.monotonic() + settings.wait_idle
    start = time.monotonic()
    usage = psutil.cpu_percent(interval=2.0)
    while usage > busy_percent and time.monotonic() < deadline:
        if waited == 0.0:
            log.info(
                "%s: machine busy (%.0f%% CPU); waiting up to %.0f s for it to be idle",
                what,
                usage,
                settings.wait_idle,
            )
        usage = psutil.cpu_percent(interval=5.0)
        waited = time.monotonic() - start
    if usage > busy_percent:
        log.warning(
            "%s: starting on a busy machine (%.0f%% CPU): wall times will be inflated", what, usage
        )
    return {"cpu_percent_at_start": usage, "waited_for_idle_seconds": round(waited, 1)}


def subprocess_env(snapshot: Path) -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([venv_bin, env.get("PATH", "")])
    # Ahead of the editable install's /work/main/src path entry: run the snapshot's code.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(snapshot / "src"), env.get("PYTHONPATH")) if p
    )
    env["DVC_NO_ANALYTICS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_params(workdir: Path, snapshot: Path, n_customers: int | None) -> None:
    """The snapshot's params.yaml, with only synthetic.n_customers changed (if given)."""
    source = snapshot / "params.yaml"
    if n_customers is None:
        shutil.copy2(source, workdir / "params.yaml")
        return
    original = yaml.safe_load(source.read_text(encoding="utf-8"))
    changed = json.loads(json.dumps(original))  # deep copy
    changed.setdefault("synthetic", {})["n_customers"] = int(n_customers)
    text = yaml.safe_dump(changed, sort_keys=False, default_flow_style=None)
    check = yaml.safe_load(text)
    check["synthetic"]["n_customers"] = original["synthetic"]["n_customers"]
    if check != original:
        raise RuntimeError("rewriting params.yaml changed more than synthetic.n_customers")
    (workdir / "params.yaml").write_text(text, encoding="utf-8")


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def dir_mib(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return round(total / MIB, 1)


def run_size(n_customers: int, settings: Settings, workdir: Path) -> dict:
    write_params(workdir, settings.snapshot, n_customers)
    stage_log = workdir / "stages.log"
    result: dict = {"n_customers": n_customers, "stages": [], "ok": True}
    for stage in settings.stages:
        log.info("n=%d: running %s", n_customers, stage)
        m = measure(
            ["churnlab", "--params", "params.yaml", stage],
            workdir,
            settings.env,
            stage_log,
            settings.interval,
            settings.timeout,
        )
        result["stages"].append({"stage": stage, **m.as_dict()})
        log.info(
            "n=%d: %-9s %8.2f s  peak %7.0f MiB%s",
            n_customers,
            stage,
            m.seconds,
            m.peak_rss_mib,
            "" if m.ok else f"  FAILED (exit {m.exit_code})",
        )
        if not m.ok:
            result["ok"] = False
            result["failed_stage"] = stage
            for line in m.output_tail:
                log.error("  %s", line)
            break
    stages = result["stages"]
    result["total_seconds"] = round(sum(s["seconds"] for s in stages), 3)
    result["total_cpu_seconds"] = round(
        sum(s["user_cpu_seconds"] + s["system_cpu_seconds"] for s in stages), 3
    )
    result["peak_rss_mib"] = max(s["peak_rss_mib"] for s in stages)
    result["peak_stage"] = max(stages, key=lambda s: s["peak_rss_mib"])["stage"]
    result["data_mib"] = dir_mib(workdir / "data") if (workdir / "data").exists() else 0.0
    quality = read_json(workdir / "metrics/data_quality.json")
    if quality:
        result["rows"] = {
            "raw_customers": quality.get("rows_in"),
            "prepared": quality.get("rows_out"),
        }
    if not result["ok"]:
        return result

    evaluation = read_json(workdir / "metrics/evaluate.json")
    meta = read_json(workdir / "models/metadata.json")
    result["metrics"] = {
        k: evaluation.get(k) for k in ("roc_auc", "oracle_roc_auc", "gap_to_oracle", "pr_auc", "n")
    }
    result["model"] = {
        "best_iteration": meta.get("best_iteration"),
        "rounds": pipeline_rounds(workdir),
        "n_features": meta.get("n_features"),
    }

    log.info("n=%d: bare XGBoost fit", n_customers)
    m = measure(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--bare-fit",
            str(workdir),
            "--bare-fit-repeats",
            str(settings.bare_fit_repeats),
        ],
        workdir,
        settings.env,
        workdir / "bare_fit.log",
        settings.interval,
        settings.timeout,
    )
    bare = {"process": m.as_dict(), **read_json(workdir / "bare_fit.json")}
    result["bare_fit"] = bare
    train_seconds = next(s["seconds"] for s in stages if s["stage"] == "train")
    if m.ok and bare.get("fit_seconds"):
        result["train_stage_seconds"] = train_seconds
        result["train_over_bare_fit"] = round(train_seconds / bare["fit_seconds"], 3)
        log.info(
            "n=%d: train stage %.2f s / bare fit %.2f s = %.2f (best_iteration %s vs %s)",
            n_customers,
            train_seconds,
            bare["fit_seconds"],
            result["train_over_bare_fit"],
            bare.get("best_iteration"),
            bare.get("pipeline_best_iteration"),
        )
    else:
        log.error("n=%d: bare fit failed: %s", n_customers, m.output_tail)
    return result


def setup_dvc_repo(workdir: Path, settings: Settings) -> None:
    """Make ``workdir`` a git + DVC repository holding the pipeline definition and code."""
    for name in ("dvc.yaml", ".dvcignore", ".gitignore"):
        if (settings.snapshot / name).exists():
            shutil.copy2(settings.snapshot / name, workdir / name)
    # dvc.yaml lists the source files as dependencies: give DVC the same files to hash.
    shutil.copytree(settings.snapshot / "src", workdir / "src")
    if (settings.snapshot / "inputs").is_dir():
        shutil.copytree(settings.snapshot / "inputs", workdir / "inputs")
    # One commit, as any real clone has: dvclive (used by the train stage) fails with
    # "Empty git repo" inside a git repository that has no commit yet.
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for cmd in (
        [*git, "init", "-q"],
        ["dvc", "init", "-q"],
        [*git, "add", "-A"],
        [*git, "commit", "-q", "-m", "benchmark repository"],
    ):
        subprocess.run(cmd, cwd=workdir, env=settings.env, check=True, stdout=subprocess.DEVNULL)


def run_dvc(label: str, workdir: Path, settings: Settings) -> dict:
    """Time a full ``dvc repro`` then NOOP_REPEATS no-op ones in ``workdir``."""
    setup_dvc_repo(workdir, settings)
    params = yaml.safe_load((workdir / "params.yaml").read_text(encoding="utf-8"))
    dvc_log = workdir / "dvc.log"
    log.info("dvc (%s): full dvc repro", label)
    full = measure(
        ["dvc", "repro"], workdir, settings.env, dvc_log, settings.interval, settings.timeout
    )
    out: dict = {"n_customers": params["synthetic"]["n_customers"], "full": full.as_dict()}
    log.info(
        "dvc (%s): full dvc repro %.2f s, peak %.0f MiB%s",
        label,
        full.seconds,
        full.peak_rss_mib,
        "" if full.ok else f" FAILED (exit {full.exit_code})",
    )
    if not full.ok:
        return out
    evaluation = read_json(workdir / "metrics/evaluate.json")
    out["roc_auc"] = evaluation.get("roc_auc")
    runs = []
    for i in range(NOOP_REPEATS):
        noop_log = workdir / f"dvc_noop_{i}.log"
        m = measure(
            ["dvc", "repro"], workdir, settings.env, noop_log, settings.interval, settings.timeout
        )
        text = noop_log.read_text(encoding="utf-8", errors="replace")
        did_nothing = m.ok and "Running stage" not in text
        runs.append({**m.as_dict(), "did_nothing": did_nothing})
        log.info(
            "dvc (%s): no-op dvc repro %.2f s (did nothing: %s)", label, m.seconds, did_nothing
        )
    out["noop_runs"] = runs
    out["noop_seconds_median"] = round(statistics.median(r["seconds"] for r in runs), 3)
    out["noop_seconds_max"] = max(r["seconds"] for r in runs)
    out["noop_did_nothing"] = all(r["did_nothing"] for r in runs)
    return out


# --------------------------------------------------------------------------------------------
# Context, output
# --------------------------------------------------------------------------------------------


def package_version(*names: str) -> str | None:
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(name)
    return None


def machine_info() -> dict:
    cpu_model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_total_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "packages": {
            "xgboost": package_version("xgboost", "xgboost-cpu"),
            "scikit-learn": package_version("scikit-learn"),
            "pandas": package_version("pandas"),
            "duckdb": package_version("duckdb"),
            "numpy": package_version("numpy"),
            "pyarrow": package_version("pyarrow"),
            "dvc": package_version("dvc"),
            "churnlab": package_version("churnlab"),
        },
    }


def repo_info(settings: Settings, digest: str) -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    params = yaml.safe_load((settings.snapshot / "params.yaml").read_text(encoding="utf-8"))
    probe = subprocess.run(
        [sys.executable, "-c", "import churnlab; print(churnlab.__file__)"],
        env=settings.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(probe).is_relative_to(settings.snapshot):
        raise RuntimeError(f"churnlab resolves to {probe}, not to the snapshot")
    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": git("status", "--porcelain", "--untracked-files=no").splitlines(),
        "code_snapshot_sha256": digest,
        "code_snapshot": "src/ and pipeline files copied from the working tree at start",
        "default_n_customers": params["synthetic"]["n_customers"],
    }


def summarize_targets(runs: list[dict], dvc: dict) -> dict:
    out: dict = {}
    default = dvc.get("default", {})
    if default.get("full", {}).get("ok"):
        seconds = default["full"]["seconds"]
        out["default_dvc_repro_seconds"] = {
            "measured": seconds,
            "target": TARGETS["default_dvc_repro_seconds"],
            "met": seconds <= TARGETS["default_dvc_repro_seconds"],
        }
    if "noop_seconds_max" in default:
        seconds = default["noop_seconds_max"]
        out["noop_dvc_repro_seconds"] = {
            "measured": seconds,
            "target": TARGETS["noop_dvc_repro_seconds"],
            "met": seconds <= TARGETS["noop_dvc_repro_seconds"],
        }
    million = next((r for r in runs if r["n_customers"] == 1_000_000), None)
    if million is not None:
        seconds, gib = million["total_seconds"], million["peak_rss_mib"] / 1024
        out["one_million_end_to_end_seconds"] = {
            "measured": seconds,
            "target": TARGETS["one_million_end_to_end_seconds"],
            "met": million["ok"] and seconds <= TARGETS["one_million_end_to_end_seconds"],
        }
        out["one_million_peak_rss_gib"] = {
            "measured": round(gib, 3),
            "target": TARGETS["one_million_peak_rss_gib"],
            "met": million["ok"] and gib <= TARGETS["one_million_peak_rss_gib"],
        }
    return out


def print_table(runs: list[dict], dvc: dict, stages: list[str]) -> None:
    header = (
        f"{'customers':>10} "
        + " ".join(f"{s:>9}" for s in stages)
        + f" {'total s':>8} {'peak MiB':>9} {'roc_auc':>8} {'oracle':>8} {'train/fit':>9}"
    )
    print(header)
    for run in runs:
        seconds = {s["stage"]: s["seconds"] for s in run["stages"]}
        cells = [f"{seconds[s]:9.2f}" if s in seconds else f"{'-':>9}" for s in stages]
        metrics = run.get("metrics", {})

        def fmt(value, spec):
            return format(value, spec) if isinstance(value, (int, float)) else "-"

        print(
            f"{run['n_customers']:>10} "
            + " ".join(cells)
            + f" {run['total_seconds']:8.2f} {run['peak_rss_mib']:9.0f}"
            + f" {fmt(metrics.get('roc_auc'), '8.4f'):>8}"
            + f" {fmt(metrics.get('oracle_roc_auc'), '8.4f'):>8}"
            + f" {fmt(run.get('train_over_bare_fit'), '9.2f'):>9}"
            + ("" if run["ok"] else f"  FAILED at {run['failed_stage']}")
        )
    for label, d in dvc.items():
        full = d.get("full", {})
        print(
            f"dvc repro ({label}, n={d.get('n_customers')}): full {full.get('seconds')} s, "
            f"peak {full.get('peak_rss_mib')} MiB; no-op median "
            f"{d.get('noop_seconds_median')} s, max {d.get('noop_seconds_max')} s, "
            f"did nothing: {d.get('noop_did_nothing')}"
        )


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def parse_sizes(values: list[str]) -> list[int]:
    sizes = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                sizes.append(int(part.strip().replace("_", "")))
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("sizes must be integers >= 100")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=[str(s) for s in DEFAULT_SIZES],
        help="n_customers values, space or comma separated (default: %(default)s)",
    )
    parser.add_argument(
        "--skip-dvc", action="store_true", help="skip the dvc repro timings (full and no-op)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="results JSON (default: benchmarks/results/pipeline.json)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=0.05,
        help="seconds between process-tree RSS samples (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="kill any single measured command after this many seconds "
        "(default: %(default)s; 0 = none)",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        help="before each size and dvc timing, wait up to this many seconds "
        "for the CPUs to be idle (other jobs inflate wall times)",
    )
    parser.add_argument(
        "--bare-fit-repeats",
        type=int,
        default=3,
        help="bare XGBoost fits per size; the median is used (default: %(default)s)",
    )
    parser.add_argument("--bare-fit", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM unwinds like Ctrl-C: the running command's process group is killed and the
    # temporary directories are deleted.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if args.bare_fit:
        bare_fit(args.bare_fit, max(args.bare_fit_repeats, 1))
        return 0
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S"
    )
    sizes = parse_sizes(args.sizes)
    with tempfile.TemporaryDirectory(prefix="churnlab-bench-code-") as tmp:
        snapshot = Path(tmp)
        digest = snapshot_repository(snapshot)
        return run_benchmark(args, sizes, snapshot, digest)


def run_benchmark(args: argparse.Namespace, sizes: list[int], snapshot: Path, digest: str) -> int:
    settings = Settings(
        snapshot,
        pipeline_stages(snapshot / "dvc.yaml"),
        subprocess_env(snapshot),
        args.poll_interval,
        args.timeout or None,
        args.wait_idle,
        max(args.bare_fit_repeats, 1),
    )
    results: dict = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "method": {
            "wall_time": WALL_TIME_METHOD,
            "peak_memory": MEMORY_METHOD.format(interval=args.poll_interval),
            "stage_command": "churnlab --params params.yaml <stage>, one subprocess "
            "per stage, cwd = a fresh temporary directory",
            "stages": settings.stages,
            "bare_fit": "xgboost.XGBClassifier with train.xgboost params, early "
            "stopping and eval_set [(train sample of at most "
            "churnlab.modeling.zoo.xgboost.TRAIN_CURVE_ROWS rows), (valid)] as the train stage; "
            "fit_seconds is the median of bare_fit_repeats fits in one fresh process and "
            "excludes reading parquet; train_over_bare_fit = train stage seconds / "
            "fit_seconds; no_eval_fit_seconds: same rounds as the pipeline, no eval sets",
        },
        "machine": machine_info(),
        "repository": repo_info(settings, digest),
        "targets": TARGETS,
        "runs": [],
        "dvc": {},
    }
    log.info("sizes %s, results to %s", sizes, args.output)
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"churnlab-bench-{n}-") as tmp:
            workdir = Path(tmp)
            machine_state = wait_for_idle(settings, f"n={n}")
            run = run_size(n, settings, workdir)
            run["machine_state"] = machine_state
            results["runs"].append(run)
            log.info(
                "n=%d: end to end %.1f s, peak %.0f MiB (%s)%s",
                n,
                run["total_seconds"],
                run["peak_rss_mib"],
                run["peak_stage"],
                "" if run["ok"] else f", FAILED at {run['failed_stage']}",
            )
            if not args.skip_dvc and n == min(sizes) and run["ok"]:
                # No-op timing at the smallest size, in the directory the stages just used.
                machine_state = wait_for_idle(settings, "dvc at the smallest size")
                results["dvc"]["smallest_size"] = run_dvc(f"n={n}", workdir, settings)
                results["dvc"]["smallest_size"]["machine_state"] = machine_state
        write_results(args.output, results)
    if not args.skip_dvc:
        with tempfile.TemporaryDirectory(prefix="churnlab-bench-default-") as tmp:
            workdir = Path(tmp)
            write_params(workdir, snapshot, None)
            machine_state = wait_for_idle(settings, "dvc with the default params")
            results["dvc"]["default"] = run_dvc("default params.yaml", workdir, settings)
            results["dvc"]["default"]["machine_state"] = machine_state
    results["targets_summary"] = summarize_targets(results["runs"], results["dvc"])
    write_results(args.output, results)
    print_table(results["runs"], results["dvc"], settings.stages)
    log.info("wrote %s", args.output)
    return 0 if all(r["ok"] for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
