"""Hyper-parameter search with Optuna: grid, random or Bayesian (TPE), with median pruning.

The objective is the mean cross-validated ``leaderboard.primary_metric`` of ``search.model``
over ``search.folds`` stratified folds of the train split, the other hyper-parameters taken
from ``train.<model>``. After each fold the running mean is reported, so the median pruner can
stop a trial that is already behind; boosted models also stop early inside every fit (on the
validation split). The budget is ``search.n_trials`` and ``search.timeout_s``, whichever comes
first; with a trial budget only, the same seed gives the same trials (samplers are seeded,
trials run one at a time). For random and TPE search the first trial is the current params, so
the best trial is never worse than what ``params.yaml`` already has.
"""

from __future__ import annotations

import logging

import numpy as np

from churnlab import progress
from churnlab.config.models import SpaceParam, TrainParams
from churnlab.config.params import Params
from churnlab.errors import UserError
from churnlab.modeling.crossval import assign_folds, cross_validate, splits

log = logging.getLogger(__name__)


def grid_values(name: str, spec: SpaceParam) -> list:
    if spec.type == "categorical":
        return list(spec.choices)
    if spec.type == "int":
        return list(range(int(spec.low), int(spec.high) + 1, int(spec.step or 1)))
    if spec.step:
        return [float(v) for v in np.arange(spec.low, spec.high + spec.step / 2, spec.step)]
    raise UserError(f"search.space.{name}: grid search needs choices, an int range or a float step")


def suggest(trial, name: str, spec: SpaceParam):
    if spec.type == "categorical":
        return trial.suggest_categorical(name, list(spec.choices))
    if spec.type == "int":
        step = int(spec.step or 1)
        return trial.suggest_int(name, int(spec.low), int(spec.high), step=step, log=spec.log)
    return trial.suggest_float(name, spec.low, spec.high, step=spec.step, log=spec.log)


def sampler_for(params: Params):
    import optuna

    s = params.search
    if s.method == "grid":
        space = {name: grid_values(name, spec) for name, spec in s.space.items()}
        return optuna.samplers.GridSampler(space, seed=s.seed)
    if s.method == "random":
        return optuna.samplers.RandomSampler(seed=s.seed)
    return optuna.samplers.TPESampler(seed=s.seed)


def trial_params(base: TrainParams, model: str, values: dict) -> TrainParams:
    """``base`` with ``train.<model>`` updated; an impossible value names its key."""
    from pydantic import ValidationError

    section = getattr(base, model).model_dump() | values
    try:
        return base.model_copy(update={model: type(getattr(base, model)).model_validate(section)})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"])
        raise UserError(
            f"search.space.{key}: {err['msg']}, got {err.get('input')!r} (train.{model}.{key})"
        ) from None


def run(params: Params, data: tuple):
    """Run the study; return it (trials in order)."""
    import optuna

    s = params.search
    if not s.space:
        raise UserError("search.space is empty: declare at least one hyper-parameter to search")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    metric = params.leaderboard.primary_metric
    _, y, _, _ = data
    scheme, fold = assign_folds(y, s.folds, params.cv.seed)
    fold_splits = list(splits(scheme, fold))
    pruner = (
        optuna.pruners.MedianPruner(n_startup_trials=s.pruner_startup_trials, n_warmup_steps=0)
        if s.pruning
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(direction="maximize", sampler=sampler_for(params), pruner=pruner)
    if s.method != "grid":
        current = getattr(params.train, s.model).model_dump()
        study.enqueue_trial({name: current[name] for name in s.space})

    def objective(trial) -> float:
        values = {name: suggest(trial, name, spec) for name, spec in s.space.items()}
        p = trial_params(params.train, s.model, values)

        def report(number: int, results: list[dict]) -> None:
            trial.report(float(np.mean([r[metric] for r in results])), number)
            if trial.should_prune():
                raise optuna.TrialPruned()

        results = cross_validate(s.model, p, data, fold_splits, report, params.cv.n_jobs)
        for key in ("fit_s", "predict_s"):
            trial.set_user_attr(key, round(float(np.sum([r[key] for r in results])), 3))
        score = float(np.mean([r[metric] for r in results]))
        log.info("trial %d: %s %.4f %s", trial.number, metric, score, values)
        return score

    n_trials = s.n_trials
    if s.method == "grid":
        size = int(np.prod([len(grid_values(n, spec)) for n, spec in s.space.items()]))
        n_trials = min(n_trials, size)
    with progress.bar(desc="search", total=n_trials, unit="trial") as shown:
        study.optimize(
            objective,
            n_trials=n_trials,
            timeout=s.timeout_s,
            catch=(),
            callbacks=[lambda _study, _trial: shown.update()],
        )
    return study


def history(study) -> list[dict]:
    """One entry per trial: state, value, parameters, the last fold reported."""
    out = []
    for t in study.trials:
        steps = sorted(t.intermediate_values)
        value = (
            t.value
            if t.value is not None
            else (t.intermediate_values[steps[-1]] if steps else None)
        )  # a pruned trial: its last running mean
        out.append(
            {
                "number": t.number,
                "state": t.state.name.lower(),
                "value": None if value is None else round(float(value), 6),
                "params": t.params,
                "folds_run": len(steps),
                "fit_s": t.user_attrs.get("fit_s"),
            }
        )
    return out


def summary(params: Params, study) -> dict:
    """``metrics/search.json``: the budget, the best trial and the whole history."""
    trials = history(study)
    complete = [t for t in trials if t["state"] == "complete"]
    if not complete:
        raise UserError("search: no trial completed within search.timeout_s; raise it")
    best = study.best_trial
    s = params.search
    return {
        "model": s.model,
        "method": s.method,
        "metric": params.leaderboard.primary_metric,
        "folds": s.folds,
        "seed": s.seed,
        "n_trials_budget": s.n_trials,
        "timeout_s": s.timeout_s,
        "n_trials": len(trials),
        "n_complete": len(complete),
        "n_pruned": sum(t["state"] == "pruned" for t in trials),
        "best_trial": best.number,
        "best_value": round(float(best.value), 6),
        "best_params": best.params,
        "first_trial_value": trials[0]["value"],
        "trials": trials,
    }
