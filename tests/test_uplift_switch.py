"""``uplift.enabled: false``: the uplift stage writes every output DVC declares for it."""

from __future__ import annotations

import json

from churnlab import package
from churnlab.config import paths
from churnlab.stages import uplift as stage
from churnlab.uplift import artifact
from conftest import small_params


def test_switched_off_the_stage_still_writes_its_declared_outputs(tmp_path, monkeypatch):
    """dvc.yaml declares plots/uplift, metrics/uplift.json and models/uplift.skops; a run with
    the switch off wrote no plots folder, so `dvc repro` stopped ("output 'plots/uplift' does
    not exist")."""
    monkeypatch.chdir(tmp_path)
    old = tmp_path / stage.PLOTS / "qini.csv"
    old.parent.mkdir(parents=True)
    old.write_text("a figure of an earlier run\n")
    params = small_params(uplift={"enabled": False})
    stage.main(params)
    assert (tmp_path / stage.PLOTS / "SKIPPED.md").read_text().startswith("uplift skipped")
    assert not old.exists()  # no figure of an earlier run stays
    assert json.loads((tmp_path / stage.METRICS).read_text()) == {"enabled": False}
    saved = package.load(tmp_path / paths.UPLIFT_MODEL)
    assert artifact.from_bundle(saved) is None
