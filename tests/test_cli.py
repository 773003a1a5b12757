"""The command line: user errors give one message on stderr and exit status 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import churnlab
from churnlab.cli import main as cli
from churnlab.cli.commands import COMMANDS, GROUPS, OneOf
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


def test_version_comes_from_the_package(capsys):
    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0
    assert out == f"churnlab {churnlab.__version__}\n"


def test_help_lists_every_command_once_under_its_group(capsys):
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    sections = {s.splitlines()[0]: s.splitlines()[1:] for s in out.split("\n\n")}
    listed = []
    for group, title in GROUPS.items():
        # a command's line starts at column 2; its wrapped help is indented further
        names = [line.split()[0] for line in sections[f"{title}:"] if line[2] != " "]
        assert names == [c.name for c in COMMANDS if c.group == group]
        listed += names
    assert sorted(listed) == sorted(cli.BY_NAME) and len(listed) == len(COMMANDS)


def _arguments(command):
    arguments = command.arguments() if callable(command.arguments) else command.arguments
    for item in arguments:
        yield from item.args if isinstance(item, OneOf) else (item,)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_argument_has_help_and_shows_in_the_command_help(command, capsys):
    code, out, _ = run_cli([command.name, "--help"], capsys)
    assert code == 0
    assert command.help in out
    for argument in _arguments(command):
        assert argument.options.get("help"), f"{command.name} {argument.flags[0]}: no help"
        assert argument.flags[0] in out


@pytest.mark.parametrize("name", ["score", "serve", "drift", "register", "predict"])
def test_deployment_commands_show_examples(name, capsys):
    _, out, _ = run_cli([name, "--help"], capsys)
    examples = out.split("examples:\n", 1)[1].splitlines()
    assert any(line.startswith(f"  churnlab {name}") for line in examples)


def test_cv_parses_its_lazily_added_argument(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_params(tmp_path, (REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    code, _, err = run_cli(["--params", str(path), "cv", "no_such_model"], capsys)
    assert_one_line_error(code, err, "unknown model 'no_such_model'")


def test_help_imports_no_stage_and_no_heavy_library():
    """`churnlab --help` builds the parser from the table without importing what commands run."""
    heavy = ("churnlab.stages", "churnlab.config.params", "sklearn", "pandas", "matplotlib")
    script = (
        "import sys\n"
        "from churnlab.cli.main import build_parser\n"
        "build_parser().format_help()\n"
        f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip() == "[]"


def test_every_global_option_has_help(capsys):
    """The walk above covers the command table; the options before the command too."""
    parser = cli.build_parser()
    options = [a for a in parser._actions if a.option_strings]
    assert {"--version", "--params", "--verbose"} <= {s for a in options for s in a.option_strings}
    for action in options:
        assert action.help, action.option_strings
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0 and all(a.option_strings[-1] in out for a in options)


@pytest.mark.parametrize("name", ["score", "predict", "drift", "register"])
def test_deployment_commands_state_their_exit_statuses(name, capsys):
    _, out, _ = run_cli([name, "--help"], capsys)
    assert "Exit status: 0" in " ".join(out.split())
