"""The leaderboard's selection rule and applying its choice to params.yaml."""

from __future__ import annotations

import pytest
import yaml

from churnlab import io
from churnlab.config.params import LeaderboardParams, parse_params
from churnlab.errors import UserError
from churnlab.modeling.selection import apply, check, leaderboard, select, set_yaml_value


def summary(auc: float, std: float = 0.004) -> dict:
    metric = {"mean": auc, "std": std}
    return {"roc_auc": metric, "pr_auc": metric, "f1": metric, "fit_s": metric, "predict_s": metric}


def test_best_mean_wins_when_clearly_ahead():
    chosen = select(
        {"logreg": summary(0.84), "xgboost": summary(0.86), "rules": summary(0.7)},
        LeaderboardParams(tie_tolerance=0.001),
    )
    assert chosen["model"] == "xgboost"
    assert "best mean CV roc_auc" in chosen["reason"]


def test_a_tie_goes_to_the_simpler_model():
    chosen = select(
        {"logreg": summary(0.8595), "xgboost": summary(0.8600), "catboost": summary(0.8598)},
        LeaderboardParams(tie_tolerance=0.001),
    )
    assert chosen["model"] == "logreg"
    assert chosen["best_by_metric"] == "xgboost"
    assert chosen["tied"] == ["logreg", "xgboost", "catboost"]
    assert "simpler" in chosen["reason"]


def test_leaderboard_ranks_by_the_primary_metric():
    board = leaderboard(
        {"logreg": summary(0.84), "xgboost": summary(0.86)}, LeaderboardParams(), {"folds": 5}
    )
    assert board["models"]["xgboost"]["rank"] == 1
    assert board["rule"]["simplicity_order"][0] == "rules"
    assert board["folds"] == 5


PARAMS = """\
train:
  # the model to train
  model: xgboost   # set by churnlab select
  seed: 42
  xgboost:
    max_depth: 3
    learning_rate: 0.05
  logreg:
    C: 1.0
search:
  model: xgboost
"""


def test_set_yaml_value_keeps_comments_and_order():
    text = set_yaml_value(PARAMS, ["train", "xgboost", "max_depth"], 5)
    text = set_yaml_value(text, ["train", "model"], "logreg")
    assert "  model: logreg   # set by churnlab select\n" in text
    assert "    max_depth: 5\n" in text
    assert "search:\n  model: xgboost\n" in text  # the other `model:` is untouched
    assert text.count("\n") == PARAMS.count("\n")
    with pytest.raises(UserError, match=r"train\.lightgbm"):
        set_yaml_value(PARAMS, ["train", "lightgbm", "num_leaves"], 7)


def test_apply_then_check(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS)
    board = tmp_path / "leaderboard.json"
    io.write_json({"selected": {"model": "xgboost"}}, board)
    search = tmp_path / "search.json"
    best = {"max_depth": 4, "learning_rate": 0.1}
    io.write_json({"model": "xgboost", "best_params": best}, search)
    io.write_json({"selected": {"model": "logreg"}}, board)
    assert "selected 'logreg'" in check(params, board)
    changes = apply(params, board, search)
    assert changes == {"train.model": "logreg"}  # the search was on another model
    assert check(params, board) is None
    io.write_json({"selected": {"model": "xgboost"}}, board)
    changes = apply(params, board, search)
    assert changes["train.xgboost.max_depth"] == 4
    raw = yaml.safe_load(params.read_text())
    assert raw["train"]["xgboost"] == {"max_depth": 4, "learning_rate": 0.1}
    assert parse_params(raw).train.model == "xgboost"
