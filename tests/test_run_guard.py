"""A DVC stage refuses params that changed under the run (two `dvc exp run` at once)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from churnlab.cli.main import main
from churnlab.config.params import load_params
from churnlab.config.run_guard import changed_since_upstream, guard, upstream
from churnlab.errors import UserError
from conftest import REPO_ROOT


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """dvc.yaml, params.yaml and the dvc.lock of the shipped repository (which agree)."""
    for name in ("dvc.yaml", "dvc.lock", "params.yaml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DVC_ROOT", "/elsewhere")  # the workspace of a --temp run: not read
    return tmp_path


def _set(path, key: str, value) -> None:
    raw = yaml.safe_load(path.read_text())
    section, name = key.split(".")
    raw[section][name] = value
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def test_upstream_stages_follow_the_outputs():
    stages = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"]
    assert upstream(stages, "prepare") == []
    assert upstream(stages, "split") == ["prepare"]
    assert upstream(stages, "train") == ["featurize", "prepare", "split"]
    assert "train" in upstream(stages, "evaluate")


def test_the_shipped_lock_agrees_with_params(repo):
    for stage in ("split", "featurize", "train", "evaluate"):
        assert changed_since_upstream(repo, stage, "params.yaml") == []


def test_a_param_changed_after_an_upstream_stage_is_named(repo):
    _set(repo / "params.yaml", "split.seed", 7)
    (found,) = changed_since_upstream(repo, "train", "params.yaml")
    assert found.startswith("split: split ran with {'method': 'stratified'")
    assert "'seed': 42}, params.yaml now says {" in found and found.endswith("'seed': 7}")
    # The stage's own params (and downstream ones) may differ: DVC re-runs it for them.
    assert changed_since_upstream(repo, "split", "params.yaml") == []


def test_the_cli_stops_a_stage_before_any_work(repo, monkeypatch, capsys):
    _set(repo / "params.yaml", "split.seed", 7)
    monkeypatch.setenv("DVC_STAGE", "featurize")
    with pytest.raises(SystemExit) as info:
        main(["featurize"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "churnlab: error: stage featurize: params.yaml changed after the stages before it ran "
        "(split: split ran with"
    )
    assert "dvc exp run --queue" in err and "Traceback" not in err
    assert not (repo / "data").exists()


def test_params_changed_while_a_stage_runs_fail_it(repo, monkeypatch):
    monkeypatch.setenv("DVC_STAGE", "train")
    params = load_params(repo / "params.yaml")
    with (
        pytest.raises(UserError, match=r"params\.yaml changed while the stage ran"),
        guard(repo / "params.yaml", params),
    ):
        _set(repo / "params.yaml", "train.seed", 8)
    with guard(repo / "params.yaml", load_params(repo / "params.yaml")):
        pass  # unchanged: fine


def test_outside_dvc_nothing_is_checked(repo, monkeypatch):
    monkeypatch.delenv("DVC_STAGE", raising=False)
    params = load_params(repo / "params.yaml")
    _set(repo / "params.yaml", "split.seed", 7)
    with guard(repo / "params.yaml", params):
        _set(repo / "params.yaml", "train.seed", 8)


def test_a_yes_written_by_dvc_reads_as_the_string_it_was(repo):
    """DVC (YAML 1.2) writes the string ``Yes`` unquoted to dvc.lock; read as YAML 1.1 it came
    back as ``True`` and a quoted ``positive: 'Yes'`` in params.yaml was called changed."""
    from ruamel.yaml import YAML

    rt = YAML()
    lock = rt.load((repo / "dvc.lock").read_text())
    lock["stages"]["prepare"]["params"]["params.yaml"]["data"]["positive"] = "Yes"
    with (repo / "dvc.lock").open("w") as out:
        rt.dump(lock, out)
    assert "positive: Yes\n" in (repo / "dvc.lock").read_text()  # unquoted, as DVC writes it
    _set(repo / "params.yaml", "data.positive", "Yes")
    assert "positive: 'Yes'" in (repo / "params.yaml").read_text()
    assert changed_since_upstream(repo, "split", "params.yaml") == []
    _set(repo / "params.yaml", "data.positive", "No")
    (found,) = changed_since_upstream(repo, "split", "params.yaml")
    assert "'positive': 'Yes'" in found and "'positive': 'No'" in found
