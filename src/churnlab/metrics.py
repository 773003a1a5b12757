"""Classification metrics and the decision threshold, as pure functions of labels and scores."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def max_f1_threshold(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold that maximises F1 (ties go to the higher threshold)."""
    precision, recall, thresholds = skm.precision_recall_curve(y_true, scores)
    precision, recall = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
    best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=0, atol=1e-12))[-1]
    return float(thresholds[best])


def classification_metrics(y_true: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    y_true = np.asarray(y_true).astype(int)
    scores = np.asarray(scores, dtype="float64")
    predicted = (scores >= threshold).astype(int)
    clipped = np.clip(scores, 1e-15, 1 - 1e-15)  # for log loss only
    tn, fp, fn, tp = skm.confusion_matrix(y_true, predicted, labels=[0, 1]).ravel()
    return {
        "roc_auc": skm.roc_auc_score(y_true, scores),
        "pr_auc": skm.average_precision_score(y_true, scores),
        "f1": skm.f1_score(y_true, predicted, zero_division=0),
        "precision": skm.precision_score(y_true, predicted, zero_division=0),
        "recall": skm.recall_score(y_true, predicted, zero_division=0),
        "specificity": tn / (tn + fp) if tn + fp else 0.0,
        "accuracy": skm.accuracy_score(y_true, predicted),
        "brier": skm.brier_score_loss(y_true, scores),
        "log_loss": skm.log_loss(y_true, clipped, labels=[0, 1]),
        "threshold": float(threshold),
        "n": len(y_true),
        "true_positives": int(tp),
        "false_positives": int(fp),
        "true_negatives": int(tn),
        "false_negatives": int(fn),
        "positive_rate": float(y_true.mean()),
    }


def calibration_table(y_true: np.ndarray, scores: np.ndarray, n_bins: int) -> dict:
    """Mean predicted probability and observed churn rate per quantile bin of the score."""
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(y_true, scores, n_bins=n_bins, strategy="quantile")
    return {"mean_predicted": predicted, "observed_rate": observed}


def rounded(values: dict, digits: int = 6) -> dict:
    return {
        k: round(float(v), digits) if isinstance(v, (float, np.floating)) else v
        for k, v in values.items()
    }


def ks_statistic(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score CDFs of churners and stayers."""
    fpr, tpr, _ = skm.roc_curve(y_true, scores)
    return float(np.max(tpr - fpr))


def expected_caught(y_true: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Expected churners among the ``k`` highest scores, ties at the cut broken at random.

    Coarse scores (the rule baseline has seven levels) tie across the cut; taking the expected
    value instead of an arbitrary order keeps the comparison between models fair.
    """
    y_true = np.asarray(y_true, dtype="float64")
    scores = np.asarray(scores, dtype="float64")
    k = int(min(max(k, 0), len(scores)))
    if k == 0:
        return 0.0
    cut = np.sort(scores)[::-1][k - 1]
    above = scores > cut
    tied = scores == cut
    slots = k - int(above.sum())
    return float(y_true[above].sum() + slots * y_true[tied].mean())


def top_share_metrics(y_true: np.ndarray, scores: np.ndarray, share: float = 0.1) -> dict:
    """Lift and capture rate among the ``share`` highest-risk customers (top decile by default)."""
    y_true = np.asarray(y_true, dtype="float64")
    k = int(np.ceil(share * len(y_true)))
    caught = expected_caught(y_true, scores, k)
    base_rate = y_true.mean()
    return {
        "lift": (caught / k) / base_rate if base_rate > 0 else 0.0,
        "capture_rate": caught / y_true.sum() if y_true.sum() > 0 else 0.0,
        "churners_caught": caught,
        "contacted": k,
    }


def _score_groups(scores: np.ndarray) -> tuple[np.ndarray, int]:
    """Each customer's group of tied scores (0: the highest score; ties grouped as sklearn
    does) and the number of groups."""
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    first = np.r_[True, s[1:] != s[:-1]]
    group = np.empty(len(scores), dtype=np.intp)
    group[order] = np.cumsum(first) - 1
    return group, int(first.sum())


def _ranking_from_groups(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC-AUC and average precision per row from the weighted positives and negatives of each
    group of tied scores (columns in decreasing score order)."""
    tp, fp = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    n_pos, n_neg = tp[:, -1:], fp[:, -1:]
    # AUC: each positive group beats the negatives below it and ties half of its own group.
    neg_below = n_neg - fp
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = ((pos * (neg_below + 0.5 * neg)).sum(axis=1)) / (n_pos * n_neg)[:, 0]
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        ap = (pos / n_pos * precision).sum(axis=1)
    return auc, ap


def _weighted_ranking_metrics(y: np.ndarray, scores: np.ndarray, weights: np.ndarray):
    """ROC-AUC and average precision for each row of ``weights`` (bootstrap counts).

    A bootstrap resample is the original sample with integer weights, so both metrics are
    computed for all resamples at once from one sort of the scores: rows are resamples,
    columns are the distinct score values in decreasing order (ties grouped as sklearn does).
    """
    order = np.argsort(-scores, kind="stable")
    s, y, w = scores[order], y[order], weights[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * (1 - y), starts, axis=1)
    return _ranking_from_groups(pos, neg)


def _replicates(
    y: np.ndarray, score_sets: list[np.ndarray], n_resamples: int, seed: int, chunk: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(ROC-AUC, PR-AUC) replicates of each score set, all on one draw of resamples.

    The per-group positives and negatives of a resample are counted straight from its picks
    (one ``bincount`` each) instead of summing a resamples x customers weight matrix: the
    counts are whole numbers, so the figures are exactly those of
    :func:`_weighted_ranking_metrics` on the bootstrap counts.
    """
    n = len(y)
    rng = np.random.default_rng(seed)
    groups = [_score_groups(scores) for scores in score_sets]
    parts: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in score_sets]
    for start in range(0, n_resamples, chunk):
        rows = min(chunk, n_resamples - start)
        picks = rng.integers(0, n, size=(rows, n))
        row_of_pick = np.repeat(np.arange(rows), n)
        picks = picks.ravel()
        positive = y[picks]
        for collected, (group, n_groups) in zip(parts, groups, strict=True):
            cells = row_of_pick * n_groups + group[picks]
            size = rows * n_groups
            pos = np.bincount(cells, weights=positive, minlength=size).reshape(rows, n_groups)
            # Whole numbers: the negatives are the picks less the positives, exactly.
            neg = np.bincount(cells, minlength=size).reshape(rows, n_groups) - pos
            collected.append(_ranking_from_groups(pos, neg))
    return [tuple(np.concatenate(m) for m in zip(*collected, strict=True)) for collected in parts]


def bootstrap_replicates(
    y_true: np.ndarray, scores: np.ndarray, n_resamples: int, seed: int, chunk: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """ROC-AUC and PR-AUC of each bootstrap resample of customers (NaN without both classes).

    The resamples depend only on ``seed`` and the number of customers, so two models scored
    on the same customers with the same seed are resampled identically: the difference of
    their replicates is a paired bootstrap (:func:`paired_bootstrap`).
    """
    y = np.asarray(y_true, dtype="float64")
    return _replicates(y, [np.asarray(scores, dtype="float64")], n_resamples, seed, chunk)[0]


def _percentiles(values: np.ndarray, confidence: float) -> tuple[np.ndarray, float, float]:
    """The finite replicates (a resample with one class has no AUC) and their interval."""
    values = values[np.isfinite(values)]
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return values, float(low), float(high)


def bootstrap_intervals(
    y_true: np.ndarray,
    scores: np.ndarray,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
    chunk: int = 100,
) -> dict:
    """Percentile bootstrap intervals for ROC-AUC and PR-AUC (resampling customers)."""
    replicates = bootstrap_replicates(y_true, scores, n_resamples, seed, chunk)
    return intervals_from_replicates(replicates, confidence)


def intervals_from_replicates(replicates: tuple[np.ndarray, np.ndarray], confidence: float):
    """:func:`bootstrap_intervals` from replicates already drawn (:func:`bootstrap_replicates`,
    or one score set of :func:`paired_replicates`: the same resamples give the same figures)."""
    out = {}
    for name, values in zip(("roc_auc", "pr_auc"), replicates, strict=True):
        values, low, high = _percentiles(values, confidence)
        out[name] = {"low": low, "high": high, "std": float(values.std())}
    return out


def paired_bootstrap(
    y_true: np.ndarray,
    scores_a: np.ndarray,
    scores_b: np.ndarray,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
    chunk: int = 100,
) -> dict:
    """How much model A beats model B on the same customers, with a paired bootstrap.

    Both are scored on every resample of customers (the same resamples), so the spread of the
    difference excludes the luck of the draw that both models share; it is much narrower than
    the two separate intervals suggest. Per metric: the difference on the full sample, its
    percentile interval and standard deviation, and ``p_value``, the share of resamples where
    A does not beat B (a one-sided bootstrap p-value for "A is better").
    """
    replicates = paired_replicates(y_true, scores_a, scores_b, n_resamples, seed, chunk)
    return paired_from_replicates(y_true, scores_a, scores_b, replicates, confidence)


def paired_replicates(
    y_true: np.ndarray, scores_a, scores_b, n_resamples: int, seed: int, chunk: int = 100
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(ROC-AUC, PR-AUC) replicates of A and of B on the same resamples; each is exactly
    :func:`bootstrap_replicates` of that score set with the same seed."""
    y = np.asarray(y_true, dtype="float64")
    a, b = (np.asarray(s, dtype="float64") for s in (scores_a, scores_b))
    rep_a, rep_b = _replicates(y, [a, b], n_resamples, seed, chunk)
    return rep_a, rep_b


def paired_from_replicates(y_true, scores_a, scores_b, replicates, confidence: float = 0.95):
    """:func:`paired_bootstrap` from :func:`paired_replicates` already drawn."""
    y = np.asarray(y_true, dtype="float64")
    a, b = (np.asarray(s, dtype="float64") for s in (scores_a, scores_b))
    full = np.ones((1, len(y)))
    full_a, full_b = _weighted_ranking_metrics(y, a, full), _weighted_ranking_metrics(y, b, full)
    rep_a, rep_b = replicates
    out = {}
    for i, name in enumerate(("roc_auc", "pr_auc")):
        diff, low, high = _percentiles(rep_a[i] - rep_b[i], confidence)
        out[name] = {
            "difference": float(full_a[i][0] - full_b[i][0]),
            "low": low,
            "high": high,
            "std": float(diff.std()),
            "p_value": float(np.mean(diff <= 0)),
        }
    return out


def ranking_summary(y_true: np.ndarray, scores: np.ndarray) -> dict:
    """KS and the top-decile figures, as stored in ``metrics/evaluate.json``."""
    top = top_share_metrics(y_true, scores, 0.1)
    return {
        "ks": ks_statistic(y_true, scores),
        "top_decile_lift": top["lift"],
        "top_decile_capture_rate": top["capture_rate"],
        "top_decile_churners_caught": top["churners_caught"],
    }
