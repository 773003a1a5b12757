"""Feature family ``text``: TF-IDF of the support-ticket text, optionally reduced by SVD.

Word n-grams only, fitted on the train split; nothing is downloaded at run time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from churnlab.config.params import TextParams
from churnlab.errors import UserError


class DenseTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF on one text column, returned dense so it fits a pandas-output pipeline."""

    def __init__(
        self, max_features: int = 100, ngram_max: int = 2, min_df: int = 5, norm: str = "l2"
    ):
        self.max_features = max_features
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.norm = norm

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True  # a missing text is an empty one
        tags.transformer_tags.preserves_dtype = []  # float32 whatever the input
        return tags

    def _text(self, X) -> pd.Series:
        column = X.iloc[:, 0] if hasattr(X, "iloc") else pd.Series(np.asarray(X)[:, 0])
        return column.fillna("").astype(str)

    def fit(self, X, y=None):
        self._fit(X, transform=False)
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        """``fit(X).transform(X)``'s matrix with the text tokenized once, not twice
        (``TfidfVectorizer.fit_transform``; about a third of the featurize stage's TF-IDF work)."""
        return self._fit(X, transform=True).toarray()

    def _fit(self, X, transform: bool):
        validate_data(self, X, dtype=None, ensure_all_finite=False)
        self.vectorizer_ = TfidfVectorizer(
            max_features=self.max_features,
            min_df=self.min_df,
            ngram_range=(1, self.ngram_max),
            dtype=np.float32,
            sublinear_tf=True,
            norm=None if self.norm == "none" else self.norm,
        )
        learn = self.vectorizer_.fit_transform if transform else self.vectorizer_.fit
        try:
            matrix = learn(self._text(X))
        except ValueError as exc:  # empty vocabulary: no ticket text in train
            raise UserError(
                f"featurize: TF-IDF found no usable ticket text ({exc}); "
                "set featurize.text.enabled: false"
            ) from None
        # The cut-off vocabulary is a set whose order follows the per-process string hash;
        # scikit-learn documents it as safe to drop, and dropping it keeps the file stable.
        self.vectorizer_.stop_words_ = None
        self._forget_address()
        return matrix

    def _forget_address(self) -> None:
        # scikit-learn caches a memory address to skip a stop-word re-check; it would make
        # every saved file differ between runs, so it is dropped after each use.
        self.vectorizer_.__dict__.pop("_stop_words_id", None)

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        matrix = self.vectorizer_.transform(self._text(X)).toarray()
        self._forget_address()
        return matrix

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        words = self.vectorizer_.get_feature_names_out()
        return np.asarray([w.replace(" ", "_") for w in words], dtype=object)


def text_steps(p: TextParams, seed: int) -> DenseTfidf | Pipeline:
    """TF-IDF terms, or ``svd_components`` dense components of them."""
    tfidf = DenseTfidf(p.max_features, p.ngram_max, p.min_df, p.norm)
    if not p.svd_components:
        return tfidf
    svd = TruncatedSVD(n_components=p.svd_components, random_state=seed)
    return Pipeline([("tfidf", tfidf), ("svd", svd)])
