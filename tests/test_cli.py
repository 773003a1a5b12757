"""The command line: user errors give one message on stderr and exit status 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from churnlab.cli import main as cli
from conftest import REPO_ROOT


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    out, err = capsys.readouterr()
    return info.value.code, out, err


def write_params(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def shipped_with(**xgboost) -> str:
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["train"]["xgboost"].update(xgboost)
    return yaml.safe_dump(raw)


def assert_one_line_error(code: int, err: str, *expected: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("churnlab: error: ")
    for text in expected:
        assert text in lines[0]
    assert "Traceback" not in err


def test_check_params_accepts_the_shipped_file(capsys):
    code, out, err = run_cli(["--params", str(REPO_ROOT / "params.yaml"), "check-params"], capsys)
    assert code == 0
    assert out.strip().endswith(": ok")
    assert "error" not in err


@pytest.mark.parametrize(
    ("xgboost", "expected"),
    [
        ({"max_dept": 6}, "train.xgboost.max_dept is not a known key"),
        ({"max_depth": "6"}, "train.xgboost.max_depth"),
        ({"max_depth": -3}, "train.xgboost.max_depth"),
    ],
)
@pytest.mark.parametrize("command", ["check-params", "train"])
def test_bad_params_exit_2_with_one_line(tmp_path, capsys, monkeypatch, xgboost, expected, command):
    monkeypatch.chdir(tmp_path)  # a stage that ran anyway would fail on missing inputs
    path = write_params(tmp_path, shipped_with(**xgboost))
    code, out, err = run_cli(["--params", str(path), command], capsys)
    assert_one_line_error(code, err, str(path), expected)
    assert out == ""


def test_negative_size_exits_2(tmp_path, capsys):
    path = write_params(tmp_path, "synthetic:\n  n_customers: -5\n")
    code, _, err = run_cli(["--params", str(path), "check-params"], capsys)
    assert_one_line_error(code, err, "synthetic.n_customers", "-5")


def test_missing_params_file_exits_2(tmp_path, capsys):
    path = tmp_path / "absent.yaml"
    code, _, err = run_cli(["--params", str(path), "check-params"], capsys)
    assert_one_line_error(code, err, str(path))


def test_invalid_yaml_exits_2_without_traceback(tmp_path, capsys):
    path = write_params(tmp_path, "train: [unclosed\n")
    code, _, err = run_cli(["--params", str(path), "check-params"], capsys)
    assert code == 2
    assert err.startswith(f"churnlab: error: {path} is not valid YAML")
    assert "Traceback" not in err


def test_stage_with_missing_input_exits_2_naming_the_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_params(tmp_path, (REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    code, _, err = run_cli(["--params", str(path), "split"], capsys)
    assert_one_line_error(code, err, "data/prepared/customers.parquet", "missing")
    assert not (tmp_path / "data" / "split").exists()


def test_unknown_command_is_rejected(capsys):
    code, _, err = run_cli(["deploy"], capsys)
    assert code == 2
    assert "invalid choice" in err


def test_bug_keeps_its_traceback(tmp_path, monkeypatch):
    """Only UserError is turned into a message; anything else propagates (it is a bug)."""

    def broken(argv=None):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(cli, "run", broken)
    with pytest.raises(ZeroDivisionError):
        cli.main([])
