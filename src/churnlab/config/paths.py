"""Where each stage reads and writes, relative to the repository root (DVC runs stages there)."""

from pathlib import Path

PARAMS = Path("params.yaml")

RAW = Path("data/raw")
PREPARED = Path("data/prepared/customers.parquet")
TRUTH = Path("data/prepared/truth.parquet")
SCHEMA = Path("data/prepared/schema.json")
QUALITY_REPORT = Path("reports/data_quality.md")
SPLIT = Path("data/split")
FEATURES = Path("data/features")
MODELS = Path("models")
FEATURIZER = MODELS / "featurizer.skops"
PIPELINE = MODELS / "pipeline.skops"
UPLIFT_MODEL = MODELS / "uplift.skops"  # a "skipped" record when the stage did not apply
SURVIVAL_MODEL = MODELS / "survival.skops"  # likewise
MODEL_META = MODELS / "metadata.json"
METRICS = Path("metrics")
PLOTS = Path("plots")
TRAIN_LIVE = Path("plots/train")

SPLIT_NAMES = ("train", "valid", "test")
BASELINES = Path("data/baselines")
REPORTS = Path("reports")

# Model-selection studies (studies/dvc.yaml)
FOLDS = Path("data/studies/folds.json")
CV_METRICS = METRICS / "cv"
LEADERBOARD = METRICS / "leaderboard.json"
SEARCH = METRICS / "search.json"
STUDY_PLOTS = PLOTS / "studies"
