"""The prepare stage on a user CSV: schema, leakage, privacy, the gate, and the pipeline after."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.data import privacy
from churnlab.errors import UserError
from churnlab.stages import baselines, evaluate, featurize, prepare, split, train
from conftest import SALT, small_params

pytestmark = pytest.mark.e2e

N = 600


def churn_table(n: int = N, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fee = rng.uniform(10, 120, n)
    tenure = rng.integers(0, 72, n)
    plan = rng.choice(["basic", "standard", "premium"], n)
    logit = -1.0 + 0.02 * (fee - 60) - 0.05 * (tenure - 30) + (plan == "basic") * 0.8
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    words = np.array(["slow", "billing", "great", "outage", "refund", "support", "price"])
    return pd.DataFrame(
        {
            "CustomerRef": [f"K-{i:05d}" for i in range(n)],
            "full_name": [f"Person Number{i} Smith" for i in range(n)],
            "contact": [f"user{i}@example.com" for i in range(n)],
            "tel": [f"+44 20 7946 {i:04d}" for i in range(n)],
            "fee": [f"{v:.2f}".replace(".", ",") for v in fee],  # decimal commas
            "tenure": [str(t) if i % 40 else " " for i, t in enumerate(tenure)],  # blanks
            "plan": plan,
            "signup": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D"),
            "notes": [" ".join(rng.choice(words, 8)) + f" case {i}" for i in range(n)],
            "region": "EU",  # constant
            "cancelled_flag": churn.astype(int),  # leaks the label
            "churn_reason": np.where(churn, "price", ""),  # name reveals the target
            "Status": np.where(churn, " attrited ", "Existing"),
        }
    )


def user_params(path: Path, **data):
    base = {
        "source": "csv",
        "path": str(path),
        "target": "Status",
        "positive": "Attrited",
        "id": "CustomerRef",
        "columns": {"plan": {"type": "ordinal", "order": ["basic", "standard", "premium"]}},
        "snapshot_date": "2026-06-30",
    }
    return small_params(data={**base, **data})


@pytest.fixture(scope="module")
def user_run(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("user")
    table = churn_table()
    table.to_csv(root / "in.csv", sep=";", index=False)
    params = user_params(root / "in.csv")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv(privacy.SALT_ENV, SALT.decode())
        prepare.main(small_params())  # a synthetic run first: its truth must not leak
        for stage in (prepare, split, featurize, train, baselines, evaluate):
            stage.main(params)
    return root, table


def test_schema_inferred_and_overridden(user_run):
    root, _ = user_run
    columns = io.read_json(root / "data/prepared/schema.json")["columns"]
    assert columns["fee"]["type"] == "numeric"
    assert columns["tenure"]["type"] == "numeric"
    assert columns["plan"] == {"order": ["basic", "standard", "premium"], "type": "ordinal"}
    assert columns["signup"]["type"] == "datetime"
    assert columns["notes"]["type"] == "text"
    assert columns["region"] == {"reason": "constant", "type": "drop"}
    assert columns["cancelled_flag"]["reason"].startswith("leakage: alone separates")
    assert columns["churn_reason"]["reason"].startswith("leakage: the name")
    prepared = pd.read_parquet(root / "data/prepared/customers.parquet")
    assert prepared["fee"].between(10, 120).all()  # "45,30" read as 45.3
    assert prepared["tenure"].isna().sum() == N // 40  # one blank tenure in 40 rows
    assert set(prepared["churned"].unique()) == {0, 1}


def test_featurizer_follows_the_schema(user_run):
    root, _ = user_run
    names = list(pd.read_parquet(root / "data/features/train.parquet").columns)
    assert any(n.startswith("date__signup_days_before_snapshot") for n in names)
    assert any(n.startswith("ord__plan") for n in names)
    assert any(n.startswith("text__") for n in names)
    assert not any("monthly_fee" in n for n in names)  # synthetic featurize params skipped


def test_evaluate_has_no_oracle_after_a_synthetic_run(user_run):
    root, _ = user_run
    result = io.read_json(root / "metrics/evaluate.json")
    assert "oracle_roc_auc" not in result
    assert result["roc_auc"] > 0.7
    assert pd.read_parquet(root / "data/prepared/truth.parquet").empty


def test_no_raw_identifier_reaches_any_output(user_run):
    root, table = user_run
    secrets = [table[c].iloc[7] for c in ("CustomerRef", "full_name", "contact", "tel")]
    checked = 0
    for folder in ("data/prepared", "data/split", "data/features", "models", "metrics", "plots"):
        for file in (root / folder).rglob("*"):
            if file.is_file():
                data = file.read_bytes()
                checked += 1
                for secret in secrets:
                    assert secret.encode() not in data, (secret, file)
    assert checked > 10
    assert SALT not in (root / "metrics/data_quality.json").read_bytes()
    report = (root / "reports/data_quality.md").read_text()
    for column in ("full_name", "contact", "tel", "CustomerRef", "cancelled_flag"):
        assert f"`{column}`" in report


def test_quality_report_figures(user_run):
    root, table = user_run
    q = io.read_json(root / "metrics/data_quality.json")
    assert q["rows_in"] == q["rows_out"] == N
    assert sum(int(v) for v in q["class_counts"].values()) == N
    assert q["label_rate"] == pytest.approx((table["Status"].str.strip() != "Existing").mean())
    assert set(q["privacy"]) == {"full_name", "contact", "tel", "CustomerRef"}


def _bad_run(root: Path, table: pd.DataFrame, **data) -> str:
    (root / "bad.csv").write_text(table.to_csv(index=False))
    outputs = [root / "data/prepared/customers.parquet", root / "metrics/data_quality.json"]
    before = [p.read_bytes() for p in outputs]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        with pytest.raises(UserError) as info:
            prepare.main(user_params(root / "bad.csv", **data))
    assert [p.read_bytes() for p in outputs] == before  # nothing overwritten
    return str(info.value)


def test_user_run_leaves_no_synthetic_table(user_run):
    """The synthetic run before it wrote customers, logins, ... and the truth to data/raw."""
    root, _ = user_run
    assert [p.name for p in (root / "data/raw").iterdir()] == ["source.json"]
    prepared = sorted(p.name for p in (root / "data/prepared").iterdir())
    assert prepared == ["customers.parquet", "schema.json", "truth.parquet"]
    assert len(io.read_table(root / "data/prepared/truth.parquet")) == 0


def test_bad_inputs_fail_clearly_and_keep_outputs(user_run):
    root, table = user_run
    message = _bad_run(root, table.drop(columns=["Status"]))
    assert "data.target 'Status' is not a column" in message and "'fee'" in message
    three = table.assign(Status=np.resize(["A", "B", "C"], N))
    assert "['a', 'b', 'c']" in _bad_run(root, three, positive="A")
    assert "min_rows" in _bad_run(root, table.head(50))
    missing = table.assign(Status=table["Status"].where(np.arange(N) % 5 != 0))
    assert "max_target_missing_share" in _bad_run(root, missing)
    one_class = table.assign(Status="Existing")
    assert "is not a value of target" in _bad_run(root, one_class)
    rare = table.assign(Status=np.where(np.arange(N) < 5, "Attrited", "Existing"))
    assert "min_class_count" in _bad_run(root, rare)
    assert "not unique" in _bad_run(root, table.assign(CustomerRef="same"))


def test_split_does_not_depend_on_the_file_order():
    """The split is a pure function of (customer key, label, seed) since issue 16 (the same on
    every engine): a reordered file gives the same parts; another secret gives other keys and
    so another draw (the salt-independent positional split could not run on Spark)."""
    from churnlab.data.splitting import split_customers
    from churnlab.data.userdata import prepare_user_table

    raw = churn_table().sample(frac=1.0, random_state=5)  # file order unrelated to the ids
    p = user_params(Path("in.csv"))
    parts = {}
    for name, table, salt in (
        ("a", raw, b"team-a-secret"),
        ("a-reordered", raw.sample(frac=1.0, random_state=6), b"team-a-secret"),
        ("b", raw, b"team-b-secret"),
    ):
        prepared = prepare_user_table(table, p.data, salt).table
        parts[name] = split_customers(prepared, p.split, "churned")
    for name in ("train", "valid", "test"):
        pd.testing.assert_frame_equal(parts["a"][name], parts["a-reordered"][name])
        assert not parts["a"][name]["fee"].equals(parts["b"][name]["fee"])
    # And the raw ids are in sorted order before the split draws by position.
    prepared = prepare_user_table(raw, p.data, b"team-a-secret").table
    expected = raw.sort_values("CustomerRef")["fee"].str.replace(",", ".").astype(float)
    np.testing.assert_allclose(prepared["fee"].to_numpy(), expected.to_numpy())


def test_the_training_file_scores_as_it_is(user_run):
    """The ;-separated file with decimal commas, blanks and Yes/No text, scored by the model
    trained on it: the recorded conversions travel with the model and read every row."""
    from churnlab.serving.batch import score_file
    from churnlab.serving.scorer import Scorer

    root, table = user_run
    metadata = io.read_json(root / "models/metadata.json")
    assert metadata["conversions"] == io.read_json(root / "data/prepared/schema.json")
    assert metadata["conversions"]["id"] == "CustomerRef"
    scorer = Scorer.load(root / "models", small_params().serve)
    counts = score_file(scorer, root / "in.csv", root / "scored.csv")
    assert counts == {"rows": N, "scored": N, "rejected": 0}
    out = pd.read_csv(root / "scored.csv", dtype={"CustomerRef": str})
    assert out["CustomerRef"].tolist() == table["CustomerRef"].tolist()
    assert out["churn_probability"].between(0, 1).all()


# Outputs follow the user's data (issue 14, observations 2 to 4).


def test_user_data_is_sliced_by_its_own_columns(user_run):
    root, _ = user_run
    segments = io.read_json(root / "metrics/segments.json")
    assert set(segments) == {"plan", "tenure_band"}  # region is constant here, so dropped
    assert set(segments["tenure_band"]) == {"0-3m", "3-12m", "12-24m", "24m+", "missing"}
    assert "| tenure_band | 0-3m |" in (root / "reports/model_card.md").read_text()


def test_rules_without_their_columns_are_no_baseline(user_run):
    root, _ = user_run
    result = io.read_json(root / "metrics/evaluate.json")
    assert set(result["baselines"]) == {"logreg"}
    business = result["business"]
    assert "extra_churners_caught_vs_rules" not in business
    caught = business["at_budget"]["churners_caught"]
    logreg = result["baselines"]["logreg"]["at_budget"]["churners_caught"]
    assert business["extra_churners_caught_vs_logreg"] == pytest.approx(caught - logreg)
    card = (root / "reports/model_card.md").read_text()
    assert "than the logistic-regression baseline" in card
    assert "than the current rules" not in card and "| rules |" not in card
    gains = pd.read_csv(root / "plots/gains.csv")
    assert (
        gains["rules"].isna().all() and gains["logreg"].notna().all()
    )  # dvc plots keeps its panel


def test_model_card_of_user_data_prints_numbers_and_lists(user_run):
    root, _ = user_run
    card = (root / "reports/model_card.md").read_text()
    assert "{" not in card and "dropped: ;" not in card
    assert "Direct identifiers dropped: contact, full_name, tel;" in card
    assert "; region (constant)." in card and "cancelled_flag (leakage:" in card
    assert "oracle" not in card.lower() and "generator" not in card.lower()
    lines = [line for line in card.splitlines() if line.startswith("- ")]
    assert len(lines) == len(set(lines))  # no note repeated


def test_user_data_logs_no_synthetic_wording_and_no_repeated_note(user_run):
    root, _ = user_run
    # Collect churnlab's records with a handler of our own on the "churnlab" logger: libraries
    # that configured logging earlier in the session (disabled loggers, root handlers, levels)
    # made pytest's caplog miss them in the full suite.
    records: list[logging.LogRecord] = []
    collect = logging.Handler(logging.INFO)
    collect.emit = records.append
    top = logging.getLogger("churnlab")
    for name, logger in logging.root.manager.loggerDict.items():
        if name.startswith("churnlab.") and isinstance(logger, logging.Logger):
            logger.disabled, logger.propagate = False, True
    top.disabled, level = False, top.level
    top.setLevel(logging.INFO)
    top.addHandler(collect)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(root)
            mp.setenv(privacy.SALT_ENV, SALT.decode())
            params = user_params(root / "in.csv")
            featurize.main(params)
            evaluate.main(params)
    finally:
        top.removeHandler(collect)
        top.setLevel(level)
    messages = [r.getMessage() for r in records]
    assert not [m for m in messages if "oracle" in m.lower()]
    assert any(m.startswith("test ROC-AUC") for m in messages)
    notes = [m for m in messages if m.startswith("featurize: skipping params")]
    assert len(notes) == 1


def test_top_risk_customers_of_user_data_show_values(user_run):
    root, _ = user_run
    text = (root / "reports/top_risk_customers.md").read_text()
    assert "held-out test-split customers" in text
    rows = [line for line in text.splitlines() if line.startswith("| 1 |")]
    assert rows and ("raises risk" in rows[0] or "raise risk" in rows[0])
    assert "(+" not in text
    page = (root / "reports/index.html").read_text()
    for anchor in ("headline", "call-list", "drivers", "curves", "data-quality", "glossary"):
        assert f'<section id="{anchor}">' in page
    assert "a logistic regression (the baseline here" in page
