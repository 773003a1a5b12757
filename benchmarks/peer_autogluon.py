"""AutoGluon Tabular as a peer of the real-data benchmark, run by the peers venv's python.

Never imported by churnlab or its tests: ``benchmarks/bench_real.py`` runs it as a
subprocess with the python of a separate virtualenv (``benchmarks/requirements-peers.txt``),
so AutoGluon and its dependencies never enter the project's environment. It reads the
train+valid rows (features and the label column) and the test rows as CSV, fits
``TabularPredictor(eval_metric="roc_auc")`` with the given presets, time limit and CPUs, and
writes the test rows' churn probabilities (``score``, in the test file's row order) and a
small JSON record (versions, best model, models fitted, fit seconds).

    python peer_autogluon.py --check        # exit 0 when AutoGluon imports, 3 when not
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that AutoGluon imports")
    parser.add_argument("--fit")
    parser.add_argument("--test")
    parser.add_argument("--label")
    parser.add_argument("--out")
    parser.add_argument("--info")
    parser.add_argument("--presets", default="medium_quality")
    parser.add_argument("--time-limit", type=int, default=120)
    parser.add_argument("--num-cpus", type=int, default=2)
    args = parser.parse_args()
    try:
        import autogluon.tabular
        import pandas as pd
        from autogluon.tabular import TabularPredictor
    except ImportError as exc:
        print(f"AutoGluon is not installed in {sys.executable}: {exc}", file=sys.stderr)
        return 3
    if args.check:
        print(autogluon.tabular.__version__)
        return 0
    fit = pd.read_csv(args.fit)
    test = pd.read_csv(args.test)
    with tempfile.TemporaryDirectory(prefix="peer_autogluon_") as models:
        start = time.perf_counter()
        predictor = TabularPredictor(
            label=args.label, eval_metric="roc_auc", path=f"{models}/ag", verbosity=1
        ).fit(
            fit,
            presets=args.presets,
            time_limit=args.time_limit,
            num_cpus=args.num_cpus,
            num_gpus=0,  # AutoGluon's own default model seed (0): deterministic given the data
        )
        fit_seconds = time.perf_counter() - start
        scores = predictor.predict_proba(test)[predictor.positive_class]
        info = {
            "autogluon": autogluon.tabular.__version__,
            "best_model": predictor.model_best,
            "models_fitted": sorted(predictor.model_names()),
            "fit_seconds": round(fit_seconds, 1),
            "python": sys.version.split()[0],
        }
    pd.DataFrame({"score": scores.to_numpy()}).to_csv(args.out, index=False)
    with open(args.info, "w") as handle:
        json.dump(info, handle, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
