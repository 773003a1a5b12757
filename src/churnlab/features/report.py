"""What the fitted featurizer did, for people: feature counts, drops and selection reasons.

``summary`` feeds ``metrics/featurize.json`` (numbers a ``dvc metrics diff`` can compare);
``selection_markdown`` writes ``reports/feature_selection.md``, every feature kept or dropped
and why.
"""

from __future__ import annotations

from collections import Counter

from sklearn.pipeline import Pipeline

from churnlab.config.params import FeaturizeParams
from churnlab.features.families import FAMILIES


def _names(featurizer: Pipeline) -> list[str]:
    return [str(n) for n in featurizer.named_steps["columns"].get_feature_names_out()]


def summary(
    featurizer: Pipeline, p: FeaturizeParams, dropped_columns: dict, dropped_rows: int, rows: int
) -> dict:
    before = _names(featurizer)
    after = [str(n) for n in featurizer.get_feature_names_out()]
    families = {f: getattr(p, f).enabled for f in FAMILIES}
    return {
        "families": families | {"selection": p.selection.enabled},
        "n_features_before_selection": len(before),
        "n_features": len(after),
        "features_per_group": dict(sorted(Counter(n.split("__")[0] for n in before).items())),
        "dropped_columns": dropped_columns,
        "n_dropped_columns": len(dropped_columns),
        "dropped_train_rows": dropped_rows,
        "train_rows_fitted": rows,
    }


def selection_markdown(featurizer: Pipeline, p: FeaturizeParams) -> str:
    before = _names(featurizer)
    lines = ["# Feature selection", ""]
    if "select" not in featurizer.named_steps:
        lines += [
            f"Selection is off (`featurize.selection.enabled: false`): all {len(before)} "
            "features are kept.",
            "",
        ]
        return "\n".join(lines)
    selector = featurizer.named_steps["select"]
    kept = set(selector.kept_)
    pca = "pca" in featurizer.named_steps
    lines += [
        f"Steps (in order): {', '.join(p.selection.steps)}. Fitted on the train split only.",
        "",
        f"Kept {len(kept)} of {len(before)} features"
        + (f", then reduced to {p.selection.pca_components} principal components." if pca else "."),
        "",
        "| feature | kept | step | reason |",
        "| --- | --- | --- | --- |",
    ]
    for name in before:
        why = selector.dropped_.get(name, {"step": "", "reason": "survived every step"})
        mark = "yes" if name in kept else "no"
        lines.append(f"| `{name}` | {mark} | {why['step']} | {why['reason']} |")
    return "\n".join(lines) + "\n"
