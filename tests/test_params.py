"""params.yaml is validated at load: unknown keys, wrong types and bad values name the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from churnlab.config.params import Params, load_params, parse_params
from churnlab.errors import UserError
from conftest import REPO_ROOT

PARAMS_YAML = REPO_ROOT / "params.yaml"


def _leaves(mapping: dict, prefix: str = ""):
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and key not in (
            "ordinal",
            "ratios",
            "products",
            "bins",
            "group_ratios",
        ):
            yield from _leaves(value, path + ".")
        else:
            yield path, value


def _get(params: Params, path: str):
    value = params
    for part in path.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


@pytest.fixture
def shipped() -> dict:
    return yaml.safe_load(PARAMS_YAML.read_text(encoding="utf-8"))


def write_params(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_shipped_params_load_with_every_value_from_the_file(shipped):
    params = load_params(PARAMS_YAML)
    leaves = dict(_leaves(shipped))
    assert len(leaves) > 30  # the file really lists the settings, not only defaults
    for path, value in leaves.items():
        loaded = _get(params, path)
        if path == "data.snapshot_date":
            loaded = loaded.isoformat()
        elif isinstance(loaded, dict):
            loaded = {k: list(v) if isinstance(v, list) else v for k, v in loaded.items()}
        assert loaded == value, path


def test_shipped_params_name_every_section(shipped):
    assert set(shipped) == set(Params.model_fields)


def _with(raw: dict, path: str, value) -> dict:
    raw = copy.deepcopy(raw)
    *parents, last = path.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("train.xgboost.max_dept", 6, "train.xgboost.max_dept is not a known key"),
        ("train.xgboost.max_depth", "6", "train.xgboost.max_depth"),
        ("train.xgboost.max_depth", -3, "train.xgboost.max_depth"),
        ("train.xgboost.max_depth", 6.0, "train.xgboost.max_depth"),
        ("train.xgboost.max_depth", True, "train.xgboost.max_depth"),
        ("synthetic.n_customers", -5, "synthetic.n_customers"),
        ("split.method", "random", "split.method"),
        ("train.model", "prophet", "train.model"),
        ("train.calibration", "platt", "train.calibration"),
        ("train.threshold.method", "top_k", "train.threshold.method"),
        ("leaderboard.models", ["xgboost", "prophet"], "leaderboard.models.1"),
        ("search.method", "annealing", "search.method"),
        ("search.space", {"max_depth": {"type": "int", "low": 6, "high": 2}}, "space.max_depth"),
        ("search.space", {"max_depth": {"type": "integer", "low": 2}}, "space.max_depth.type"),
        ("search.space", {"eta": {"type": "categorical"}}, "search.space.eta"),
        ("search.space", {"max_dept": {"type": "int", "low": 2, "high": 6}}, "space.max_dept"),
        ("train.svm_rbf.max_rows", 10, "train.svm_rbf.max_rows"),
        ("data.snapshot_date", "30/06/2026", "data.snapshot_date"),
        ("featurize.ratios", {"r": ["a"]}, "featurize.ratios.r"),
        ("prepare.short_window_days", 120, "prepare"),
        ("evaluate.calibration_bins", 1, "evaluate.calibration_bins"),
        ("surprise", {"x": 1}, "surprise is not a known key"),
    ],
)
def test_bad_value_fails_naming_the_key(shipped, path, value, expected):
    with pytest.raises(UserError) as info:
        parse_params(_with(shipped, path, value), "params.yaml")
    message = str(info.value)
    assert message.startswith("params.yaml: ")
    assert expected in message


def test_wrong_type_is_not_coerced(shipped):
    with pytest.raises(UserError, match=r"train\.xgboost\.max_depth: .*got '6'"):
        parse_params(_with(shipped, "train.xgboost.max_depth", "6"))


def test_negative_size_reports_the_value(shipped):
    with pytest.raises(UserError, match=r"synthetic\.n_customers: .*got -5"):
        parse_params(_with(shipped, "synthetic.n_customers", -5))


@pytest.mark.parametrize(("train", "valid", "test"), [(0.7, 0.2, 0.2), (0.5, 0.15, 0.15)])
def test_split_fractions_must_sum_to_one(shipped, train, valid, test):
    raw = _with(
        _with(_with(shipped, "split.train", train), "split.valid", valid), "split.test", test
    )
    with pytest.raises(UserError, match=r"params\.yaml: split: .*sum to 1"):
        parse_params(raw)


def test_every_bad_key_is_reported_at_once(shipped):
    raw = _with(_with(shipped, "train.xgboost.max_dept", 3), "synthetic.n_customers", -5)
    with pytest.raises(UserError) as info:
        parse_params(raw)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert any("train.xgboost.max_dept" in line for line in lines)
    assert any("synthetic.n_customers" in line for line in lines)


def test_int_is_accepted_for_a_float(shipped):
    params = parse_params(_with(shipped, "train.xgboost.learning_rate", 1))
    assert params.train.xgboost.learning_rate == 1.0


def test_empty_file_gives_defaults(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("", encoding="utf-8")
    assert load_params(path) == Params()


def test_load_names_the_file(tmp_path, shipped):
    path = write_params(tmp_path, _with(shipped, "train.xgboost.max_dept", 3))
    with pytest.raises(UserError, match=rf"^{path}: train\.xgboost\.max_dept is not a known key$"):
        load_params(path)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match=r"cannot read .*nope\.yaml"):
        load_params(tmp_path / "nope.yaml")


def test_invalid_yaml_is_a_user_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("train: [unclosed\n", encoding="utf-8")
    with pytest.raises(UserError, match="is not valid YAML"):
        load_params(path)


def test_a_list_instead_of_a_mapping_is_a_user_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("- train\n- split\n", encoding="utf-8")
    with pytest.raises(UserError, match="expected a mapping of sections, got list"):
        load_params(path)


def test_params_are_frozen():
    params = Params()
    with pytest.raises(ValueError, match="frozen"):
        params.train.seed = 1


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("train.xgboost.min_child_weight", "1.5"),
        ("train.xgboost.reg_lambda", True),
        ("train.logreg.C", "2"),
    ],
)
def test_float_fields_do_not_coerce_strings_or_booleans(shipped, path, value):
    with pytest.raises(UserError, match=path.replace(".", r"\.")):
        parse_params(_with(shipped, path, value))


@pytest.mark.parametrize(
    "section, message",
    [
        ({"tenure_band_days": [365, 90]}, "evaluate: tenure_band_days must be increasing"),
        ({"segments": ["plan", "plan"]}, "evaluate: segments must not repeat"),
        ({"bootstrap_resamples": 5}, "evaluate.bootstrap_resamples"),
    ],
)
def test_evaluate_params_are_checked(section, message):
    with pytest.raises(UserError, match=message):
        parse_params({"evaluate": section})


def test_business_params_are_checked():
    with pytest.raises(UserError, match=r"business\.offer_acceptance_rate"):
        parse_params({"business": {"offer_acceptance_rate": 1.5}})
    assert parse_params({}).business.contact_budget_share == 0.1


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("train.xgboost.reg_lambda", float("inf")),
        ("train.xgboost.learning_rate", float("nan")),
        ("split.train", float("-inf")),
        ("serve.tier_bounds", [0.2, float("nan")]),
    ],
)
def test_non_finite_floats_are_refused_everywhere(shipped, path, value):
    with pytest.raises(UserError, match=rf"params\.yaml: {path.replace('.', '[.]')}.*finite"):
        parse_params(_with(shipped, path, value))


def test_every_float_field_refuses_infinity(shipped):
    """The rule is model-wide: no float leaf of the shipped params accepts ``.inf``."""
    floats = [p for p, v in _leaves(shipped) if isinstance(v, float)]
    assert len(floats) > 20
    for path in floats:
        with pytest.raises(UserError, match="finite"):
            parse_params(_with(shipped, path, float("inf")))


@pytest.mark.parametrize("path", ["train.seed", "split.seed", "evaluate.bootstrap_seed"])
def test_seeds_must_fit_every_library(shipped, path):
    from churnlab.config.base import MAX_SEED

    assert _get(parse_params(_with(shipped, path, MAX_SEED)), path) == MAX_SEED
    with pytest.raises(UserError, match=rf"{path.replace('.', '[.]')}: a seed must lie in 0\.\."):
        parse_params(_with(shipped, path, 4294967296))


def test_seed_range_is_what_the_models_accept():
    """MAX_SEED trains XGBoost and LightGBM and seeds scikit-learn (whose limit is 2**32-1)."""
    import numpy as np
    from sklearn.utils import check_random_state
    from xgboost import XGBClassifier

    from churnlab.config.base import MAX_SEED

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), np.arange(40) % 2
    XGBClassifier(n_estimators=2, random_state=MAX_SEED, n_jobs=1).fit(X, y)
    check_random_state(MAX_SEED)
    with pytest.raises(ValueError):
        check_random_state(2 * MAX_SEED + 2)  # 2**32: the first value scikit-learn refuses


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_non_utf8_params_file_gives_one_line(tmp_path, encoding):
    path = tmp_path / "params.yaml"
    path.write_bytes(
        PARAMS_YAML.read_text(encoding="utf-8").replace("# ", "# café ", 1).encode(encoding)
    )
    with pytest.raises(UserError) as info:
        load_params(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path} is not UTF-8: byte 0x") and "line " in message


@pytest.mark.parametrize("command", [["check-params"], ["score", "in.csv", "out.csv"], ["serve"]])
def test_non_utf8_params_file_exits_2_from_the_cli(tmp_path, capsys, command):
    from churnlab.cli.main import main

    path = tmp_path / "params.yaml"
    path.write_bytes("train:\n  seed: 1  # café\n".encode("latin-1"))
    with pytest.raises(SystemExit) as info:
        main(["--params", str(path), *command])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"churnlab: error: {path} is not UTF-8: byte 0xe9 on line 2 (invalid continuation "
        "byte); save the file as UTF-8"
    ]
