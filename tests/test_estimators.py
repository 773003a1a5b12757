"""Every scikit-learn estimator defined in churnlab runs scikit-learn's estimator checks.

The classes are found by walking the package (a class that moves to another module, or a new
one, is found without editing this file) and each needs an entry in ``ENTRIES``, keyed by class
name: how to build an instance for the checks and which checks are expected to fail, each with
the reason it does not apply. A class without an entry fails
``test_every_estimator_has_an_entry``, so a new estimator cannot skip the checks. Expected
failures are strict: a check that starts passing fails the run until its entry is removed.
The file passes 300 lines because of that table, which is meant to be read in one place.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

import churnlab
from churnlab.package import TRUSTED_TYPES


def discover() -> dict[str, type]:
    """Every ``BaseEstimator`` subclass defined in a churnlab module, by class name."""
    found: dict[str, type] = {}
    for module in pkgutil.walk_packages(churnlab.__path__, "churnlab."):
        if module.name.endswith(".__main__"):  # runs the command line when imported
            continue
        for cls in vars(importlib.import_module(module.name)).values():
            if (
                inspect.isclass(cls)
                and issubclass(cls, BaseEstimator)
                and cls.__module__ == module.name
            ):
                assert found.setdefault(cls.__name__, cls) is cls, f"two {cls.__name__} classes"
    return found


FOLDBAG_PREFIT = "wraps fold models fitted elsewhere (on 3 features): fit only records them"
FOLDBAG_EXPECTED = dict.fromkeys(
    [
        "check_fit_score_takes_y",
        "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_estimators_dtypes",
        "check_complex_data",
        "check_dtype_object",
        "check_estimators_empty_data_messages",
        "check_pipeline_consistency",
        "check_estimators_nan_inf",
        "check_estimator_sparse_tag",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_classifier_data_not_an_array",
        "check_classifiers_one_label",
        "check_classifiers_classes",
        "check_classifiers_train",
        "check_classifiers_regression_target",
        "check_supervised_y_no_nan",
        "check_supervised_y_2d",
        "check_decision_proba_consistency",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit2d_1sample",
        "check_fit2d_1feature",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
        "check_fit1d",
        "check_fit2d_predict1d",
        "check_requires_y_none",
    ],
    FOLDBAG_PREFIT,
)


def _three_feature_model() -> LogisticRegression:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))


@dataclass(frozen=True)
class Entry:
    """How to check one class: ``make`` builds an instance (None: an abstract base, checked
    through its subclasses); ``expected`` maps a check that fails to the reason why."""

    make: Callable[[], BaseEstimator] | None
    expected: dict[str, str] = field(default_factory=dict)
    not_checked: str = ""  # why the class is outside scikit-learn's estimator API (if it is)


# The checks that fit on numpy arrays, which an estimator reading columns by name cannot take.
FRAME_CHECKS = (
    "check_complex_data",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag",
    "check_estimators_dtypes",
    "check_estimators_empty_data_messages",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit1d",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)
FRAME_TRANSFORMER_CHECKS = (
    *FRAME_CHECKS,
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
)
FRAME_CLASSIFIER_CHECKS = (
    *FRAME_CHECKS,
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_regression_target",
    "check_classifiers_train",
    "check_requires_y_none",
    "check_supervised_y_2d",
    "check_supervised_y_no_nan",
)


def needs_frame(checks: tuple[str, ...], what: str) -> dict[str, str]:
    return dict.fromkeys(checks, f"{what}: needs a DataFrame, the check passes a numpy array")


# The model wrappers of modeling.zoo are binary churn classifiers (classes_ is [0, 1]) that do
# not say so in their tags (classifier_tags.multi_class), so these checks fit them on three or
# more classes, or on labels such as "one"/"two".
BINARY = "binary 0/1 classifier without a multi_class=False tag: the check fits other labels"
# Input validation the wrappers leave to the library they wrap, which does less than
# scikit-learn's validate_data (listed as findings in the issue-12 report).
SPARSE = "converts X with np.asarray: sparse input fails without the 'sparse' error message"
NO_N_FEATURES = "n_features_in_ is not checked at predict time"
Y_NONE = "fit(X, None) fails without scikit-learn's 'requires y' message"
BEST_ITERATION = (
    "sets the public best_iteration in fit (XGBoost's name, read by train/explain/scorer)"
)
NATIVE_MISSING = (
    "handles NaN natively (the library's missing-value support) but has no allow_nan tag"
)
NOT_AN_ARRAY = "np.shape(X) on an array-like that only supports __array__"
NO_VALIDATION = "passes X and y to CatBoost unchecked; CatBoost raises its own errors or accepts"
# LogOdds is a view of an already-fitted model for FrozenEstimator (calibration): its fit is a
# no-op by design, so checks that fit it find the wrapped LogisticRegression unfitted and
# nothing validated.
PREFIT = "prefit view for FrozenEstimator: fit is a no-op, nothing is fitted or validated"
# All the classifier checks that fit on arrays fail, but for those a no-op fit passes (return
# self, leave the parameters alone, accept anything).
LOGODDS_CHECKS = (
    *(
        c
        for c in FRAME_CLASSIFIER_CHECKS
        if c
        not in {
            "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self",
            "check_estimators_overwrite_params",
            "check_fit2d_1feature",
            "check_fit2d_1sample",
            "check_positive_only_tag_during_fit",
            "check_readonly_memmap_input",
            "check_requires_y_none",
        }
    ),
    "check_decision_proba_consistency",
)
# What the LightGBM and CatBoost wrappers share through their base class NativeBoosted.
NATIVE_BOOSTED = {
    "check_dont_overwrite_parameters": BEST_ITERATION,
    "check_estimators_nan_inf": NATIVE_MISSING,
    "check_estimator_sparse_array": SPARSE,
    "check_estimator_sparse_matrix": SPARSE,
    "check_estimator_sparse_tag": SPARSE,
    "check_classifier_data_not_an_array": NOT_AN_ARRAY,
    "check_n_features_in_after_fitting": NO_N_FEATURES,
    "check_requires_y_none": Y_NONE,
}
# Checks that fail on MarginSigmoid and CatBoost only through the three-class targets.
MULTICLASS_CHECKS = (
    "check_dict_unchanged",
    "check_dtype_object",
    "check_estimators_fit_returns_self",
    "check_estimators_overwrite_params",
    "check_f_contiguous_array_estimator",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)


ENTRIES: dict[str, Entry] = {
    # features
    "Polynomial2": Entry(lambda: DISCOVERED["Polynomial2"]()),
    "Log1p": Entry(lambda: DISCOVERED["Log1p"]()),
    "SkewTransform": Entry(lambda: DISCOVERED["SkewTransform"]()),
    "OutlierBounds": Entry(lambda: DISCOVERED["OutlierBounds"](flags=True)),
    "UnusualRow": Entry(lambda: DISCOVERED["UnusualRow"](n_estimators=10)),
    "DenseTfidf": Entry(
        lambda: DISCOVERED["DenseTfidf"](min_df=1),
        # Integers written as text ("3") are one-character tokens, which the word pattern
        # skips: no vocabulary, and the project's UserError says to switch text off.
        {"check_estimators_dtypes": "single-digit numbers as text hold no word"},
    ),
    "RatioFeatures": Entry(
        lambda: DISCOVERED["RatioFeatures"](),
        needs_frame(FRAME_TRANSFORMER_CHECKS, "adds columns to the customer table by name"),
    ),
    "DateParts": Entry(
        lambda: DISCOVERED["DateParts"](reference=dt.date(2026, 6, 30)),
        needs_frame(FRAME_TRANSFORMER_CHECKS, "parses the named date columns"),
    ),
    "FeatureSelection": Entry(
        lambda: DISCOVERED["FeatureSelection"](),
        needs_frame(FRAME_TRANSFORMER_CHECKS, "keeps columns by name and says why each went"),
    ),
    # modeling
    "RuleBasedModel": Entry(
        lambda: DISCOVERED["RuleBasedModel"](),
        needs_frame(FRAME_CLASSIFIER_CHECKS, "scores named customer columns (contract, ...)"),
    ),
    "LogOdds": Entry(
        lambda: DISCOVERED["LogOdds"](LogisticRegression()), dict.fromkeys(LOGODDS_CHECKS, PREFIT)
    ),
    "NativeBoosted": Entry(None),  # abstract: checked through LightGBM and CatBoost
    # uplift: the meta-learners' fit takes a treatment vector, fit(X, y, treatment), which no
    # scikit-learn check passes; tests/test_uplift_learners.py checks them (skops round trip,
    # the oracle, no effect). EffectRegressor regresses pseudo-outcomes with the LightGBM
    # wrapper's parameters and is fitted only inside the X- and DR-learners; ShiftBooster's
    # fit takes the control model's log-odds and is fitted only inside the shift learner.
    **{
        name: Entry(None, not_checked="fit(X, y, treatment): see tests/test_uplift_learners.py")
        for name in (
            "_Learner",
            "SLearner",
            "TLearner",
            "XLearner",
            "DRLearner",
            "ClassTransformation",
            "EffectRegressor",
            "ShiftLearner",
            "ShiftBooster",
        )
    },
    # The uplift `average` candidate (churnlab.uplift.selection): the mean of uplift learners
    # fitted elsewhere (fit(X, y, treatment)); tests/test_uplift_selection.py checks it.
    "AverageLearner": Entry(None, not_checked="wraps fitted uplift learners"),
    # The refit's fold models served as one (churnlab.modeling.bagging): like LogOdds it wraps
    # models fitted elsewhere, on 3 features here, so every check that fits or predicts on its
    # own data or shape cannot apply; the API checks (clone, get_params, repr, tags) run.
    "FoldBag": Entry(lambda: DISCOVERED["FoldBag"]([_three_feature_model()]), FOLDBAG_EXPECTED),
    # Their shared base (the mean log-odds of fitted members): checked through FoldBag and
    # BlendClassifier.
    "MeanLogOdds": Entry(None),
    # An adapter inside the refit (churnlab.modeling.refit): it hands the calibrator the
    # out-of-fold scores of column 0 as probabilities, is always "fitted" and never saved.
    "ScoreColumn": Entry(
        lambda: DISCOVERED["ScoreColumn"](),
        dict.fromkeys(
            [
                "check_classifier_data_not_an_array",
                "check_classifiers_classes",
                "check_classifiers_one_label",
                "check_classifiers_regression_target",
                "check_classifiers_train",
                "check_complex_data",
                "check_dtype_object",
                "check_estimator_sparse_array",
                "check_estimator_sparse_matrix",
                "check_estimator_sparse_tag",
                "check_estimators_empty_data_messages",
                "check_estimators_nan_inf",
                "check_estimators_unfitted",
                "check_fit1d",
                "check_fit2d_predict1d",
                "check_fit_check_is_fitted",
                "check_fit_score_takes_y",
                "check_n_features_in",
                "check_n_features_in_after_fitting",
                "check_pipeline_consistency",
                "check_supervised_y_2d",
                "check_supervised_y_no_nan",
            ],
            "reads column 0 as a probability; always fitted; an internal adapter, never saved",
        ),
    ),
    "MarginSigmoid": Entry(
        lambda: DISCOVERED["MarginSigmoid"](LinearSVC()),
        {
            **dict.fromkeys(
                [
                    *MULTICLASS_CHECKS,
                    "check_classifiers_classes",
                    "check_dont_overwrite_parameters",
                    "check_estimator_sparse_array",
                    "check_estimator_sparse_matrix",
                    "check_fit2d_predict1d",
                    "check_supervised_y_2d",
                ],
                BINARY,
            ),
            "check_requires_y_none": Y_NONE,
            "check_estimators_unfitted": "predict reads a_ before check_is_fitted: AttributeError",
            "check_n_features_in": "fit does not set n_features_in_",
            "check_n_features_in_after_fitting": "fit does not set n_features_in_",
            "check_estimator_sparse_tag": "accepts sparse X (LinearSVC does) but has no sparse tag",
            "check_classifiers_train": (
                "predict thresholds the Platt probability at 0.5, not the margin at 0, so it can "
                "disagree with the sign of decision_function"
            ),
        },
    ),
    # The logistic regression of the zoo (baseline, train.model: logreg): LogisticRegression
    # fitted on standardised columns (churnlab.modeling.zoo.logreg).
    "StandardizedLogisticRegression": Entry(lambda: DISCOVERED["StandardizedLogisticRegression"]()),
    "LightGBMClassifier": Entry(
        lambda: DISCOVERED["LightGBMClassifier"](n_estimators=20, n_jobs=1),
        {
            "check_classifiers_classes": BINARY,
            "check_classifiers_one_label": "classes_ is always [0, 1]: fitted on 1s, predicts 0s",
            **NATIVE_BOOSTED,
            "check_classifiers_train": NO_N_FEATURES,
            "check_fit2d_predict1d": "a 1-D X at predict time fails without the 'reshape' message",
        },
    ),
    "CatBoostChurnClassifier": Entry(
        lambda: DISCOVERED["CatBoostChurnClassifier"](iterations=20, thread_count=1),
        {
            **dict.fromkeys(MULTICLASS_CHECKS, BINARY),
            "check_classifiers_classes": BINARY,
            "check_classifiers_one_label": "CatBoost refuses a one-class target with its own error",
            **NATIVE_BOOSTED,
            **dict.fromkeys(
                [
                    "check_complex_data",
                    "check_estimators_empty_data_messages",
                    "check_classifiers_train",
                    "check_classifiers_regression_target",
                    "check_supervised_y_no_nan",
                    "check_supervised_y_2d",
                    "check_fit1d",
                    "check_fit2d_1sample",
                    "check_fit2d_predict1d",
                ],
                NO_VALIDATION,
            ),
        },
    ),
}

DISCOVERED = discover()
# The blend (churnlab.modeling.zoo.blend) of LightGBM and CatBoost fits its members as they are,
# so it fails where either member fails, for the members' reasons; LightGBM fits first, so its
# error is raised where CatBoost alone would raise its own (BLEND_PASSES).
BLEND_PASSES = {
    "check_complex_data",
    "check_estimators_empty_data_messages",
    "check_classifiers_regression_target",
    "check_supervised_y_no_nan",
    "check_fit2d_1sample",
    "check_fit1d",
}
ENTRIES["BlendClassifier"] = Entry(
    lambda: DISCOVERED["BlendClassifier"](
        [
            DISCOVERED["LightGBMClassifier"](n_estimators=20, n_jobs=1),
            DISCOVERED["CatBoostChurnClassifier"](iterations=20, thread_count=1),
        ]
    ),
    {
        check: reason
        for member in ("LightGBMClassifier", "CatBoostChurnClassifier")
        for check, reason in ENTRIES[member].expected.items()
        if check not in BLEND_PASSES
    },
)

CHECKED = [
    ENTRIES[name].make() for name in sorted(DISCOVERED) if ENTRIES.get(name, Entry(None)).make
]


def expected_failures(estimator: BaseEstimator) -> dict[str, str]:
    return ENTRIES[type(estimator).__name__].expected


def test_every_estimator_has_an_entry():
    missing = sorted(set(DISCOVERED) - set(ENTRIES))
    assert not missing, f"add an entry to ENTRIES in {__name__} for: {missing}"
    stale = sorted(set(ENTRIES) - set(DISCOVERED))
    assert not stale, f"entries for classes that no longer exist: {stale}"


def test_discovery_finds_every_trusted_churnlab_type():
    trusted = {t.rsplit(".", 1)[1] for t in TRUSTED_TYPES if t.startswith("churnlab.")}
    assert trusted <= set(DISCOVERED), trusted - set(DISCOVERED)


def test_abstract_entries_have_checked_subclasses():
    for name, entry in ENTRIES.items():
        if entry.make is None and not entry.not_checked:
            subclasses = [c for c in DISCOVERED.values() if issubclass(c, DISCOVERED[name])]
            assert any(ENTRIES[c.__name__].make for c in subclasses), name


@parametrize_with_checks(CHECKED, expected_failed_checks=expected_failures, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    try:
        check(estimator)
    except Exception as error:
        if _check_name(check) not in expected_failures(estimator):
            raise
        # An expected failure (xfail): pytest would format its traceback through
        # scikit-learn's long check module at about 0.3 s each, for a report nobody reads.
        error.__cause__ = error.__context__ = None
        raise error.with_traceback(None) from None


def _check_name(check) -> str:
    while hasattr(check, "__wrapped__"):
        check = check.__wrapped__
    return getattr(check, "func", check).__name__
