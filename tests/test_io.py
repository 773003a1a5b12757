"""Artifact I/O: atomic writes, deterministic bytes, clear errors for missing or bad files."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.errors import UserError


def test_write_json_sorts_keys_and_turns_nan_into_null(tmp_path):
    target = tmp_path / "m.json"
    io.write_json(
        {
            "b": float("nan"),
            "a": {"z": np.float32(1.5), "y": np.int64(3)},
            "c": [np.nan, float("inf"), -np.inf, np.bool_(True)],
        },
        target,
    )
    text = target.read_text(encoding="utf-8")
    assert "NaN" not in text
    assert "Infinity" not in text
    parsed = json.loads(text)
    assert parsed == {"a": {"y": 3, "z": 1.5}, "b": None, "c": [None, None, None, True]}
    assert list(parsed) == ["a", "b", "c"]
    assert list(parsed["a"]) == ["y", "z"]
    assert text.endswith("}\n")


def test_write_json_is_byte_stable_for_equal_content(tmp_path):
    io.write_json({"b": 1, "a": 2}, tmp_path / "1.json")
    io.write_json({"a": 2, "b": 1}, tmp_path / "2.json")
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()


def test_json_roundtrip(tmp_path):
    io.write_json({"threshold": 0.25, "model": "xgboost"}, tmp_path / "meta.json")
    assert io.read_json(tmp_path / "meta.json") == {"model": "xgboost", "threshold": 0.25}


def test_read_json_errors_name_the_file(tmp_path):
    with pytest.raises(UserError, match=r"absent\.json is missing"):
        io.read_json(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match=r"broken\.json is not readable JSON"):
        io.read_json(broken)


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "sub" / "out.json"
    io.write_json({"a": 1}, target)
    io.write_text("x", tmp_path / "sub" / "out.txt")
    io.write_table(pd.DataFrame({"a": [1]}), tmp_path / "sub" / "out.parquet")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [
        "out.json",
        "out.parquet",
        "out.txt",
    ]


def test_exception_inside_atomic_path_leaves_the_target_untouched(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="crash"), io.atomic_path(target) as tmp:
        tmp.write_text("half-written", encoding="utf-8")
        assert tmp != target
        assert tmp.parent == target.parent
        raise RuntimeError("crash")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_exception_before_the_first_write_creates_no_target(tmp_path):
    target = tmp_path / "new.parquet"
    with pytest.raises(ValueError), io.atomic_path(target):
        raise ValueError
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_an_existing_file(tmp_path):
    target = tmp_path / "out.txt"
    io.write_text("first", target)
    io.write_text("second", target)
    assert target.read_text(encoding="utf-8") == "second"


def test_failed_table_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "t.parquet"
    io.write_table(pd.DataFrame({"a": [1, 2]}), target)
    before = target.read_bytes()
    bad = pd.DataFrame({"a": [object(), object()]})  # pyarrow cannot store this
    with pytest.raises(Exception):  # noqa: B017 - whatever pyarrow raises
        io.write_table(bad, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        io.write_json({"a": 1}, tmp_path / "m.json")
    finally:
        os.umask(old)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o644


def test_table_roundtrip_and_byte_stability(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "x": [1.5, np.nan],
            "n": [1, 2],
            "when": pd.to_datetime(["2026-06-30", "2026-01-01"]),
        }
    )
    io.write_table(frame, tmp_path / "1.parquet")
    io.write_table(frame.copy(), tmp_path / "2.parquet")
    assert (tmp_path / "1.parquet").read_bytes() == (tmp_path / "2.parquet").read_bytes()
    back = io.read_table(tmp_path / "1.parquet")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert io.read_table(tmp_path / "1.parquet", columns=["x"]).columns.tolist() == ["x"]


def test_read_table_on_a_missing_file_names_the_path(tmp_path):
    path = tmp_path / "data" / "split" / "train.parquet"
    with pytest.raises(UserError) as info:
        io.read_table(path)
    assert str(path) in str(info.value)
    assert "missing" in str(info.value)


def test_read_table_on_a_corrupt_file_is_a_user_error(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_text("this is not parquet", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad\.parquet is not a readable parquet file"):
        io.read_table(path)


def test_write_csv_format(tmp_path):
    io.write_csv(pd.DataFrame({"a": [1.0 / 3, 2.0], "b": ["x", "y"]}), tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_bytes() == b"a,b\n0.333333,x\n2,y\n"


def test_save_figure_is_byte_stable(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name in ("1.png", "2.png"):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1])
        io.save_figure(fig, tmp_path / name)
        plt.close(fig)
    first = (tmp_path / "1.png").read_bytes()
    assert first.startswith(b"\x89PNG")
    assert first == (tmp_path / "2.png").read_bytes()
    assert b"Software" not in first


def figure_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(__import__("io").BytesIO(data)).convert("RGBA")).astype(int)


def tight_savefig(fig) -> bytes:
    """What save_figure wrote before: savefig(bbox_inches="tight"), which draws twice."""
    buffer = __import__("io").BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


@pytest.mark.parametrize("title", ["ROC (test)", "a title far wider than the figure " * 3])
def test_save_figure_draws_the_tight_picture_once(tmp_path, monkeypatch, title):
    """Drawn once and cropped, a figure is the picture savefig(bbox_inches="tight") made (up
    to its sub-pixel placement); content outside the canvas still goes through savefig."""
    from matplotlib.figure import Figure

    def drawn(fig) -> bytes:
        ax = fig.subplots()
        ax.plot([0, 1], [0, 1], label="model")
        ax.set(title=title, xlabel="false positive rate", ylabel="true positive rate")
        ax.legend(loc="upper left")
        return fig

    draws = []
    original = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda fig, r: draws.append(1) or original(fig, r))
    io.save_figure(drawn(Figure(figsize=(5.5, 4.5))), tmp_path / "once.png")
    wide = len(title) > 40
    assert len(draws) == (3 if wide else 1)  # the wide one: the draw, then savefig's two
    ours = figure_pixels((tmp_path / "once.png").read_bytes())
    before = figure_pixels(tight_savefig(drawn(Figure(figsize=(5.5, 4.5)))))
    assert abs(ours.shape[0] - before.shape[0]) <= 1 and abs(ours.shape[1] - before.shape[1]) <= 1
    rows, columns = min(ours.shape[0], before.shape[0]), min(ours.shape[1], before.shape[1])
    difference = np.abs(ours[:rows, :columns] - before[:rows, :columns]).mean()
    assert difference < (0.5 if wide else 12)  # anti-aliasing at another sub-pixel offset
    assert (ours[..., 3] == 255).all()  # the pad past the figure's edge is its background
    dark = (ours[..., :3].sum(axis=2) < 200).mean()  # ink (text, axes) drawn, not blank
    assert 0.005 < dark < 0.2


def test_cropped_fills_past_the_edges():
    image = np.arange(4 * 5 * 4, dtype=np.uint8).reshape(4, 5, 4)
    fill = np.array([255, 255, 255, 255], dtype=np.uint8)
    out = io.cropped(image, (-1, 2, 3, 3), fill)
    assert out.shape == (3, 3, 4)
    np.testing.assert_array_equal(out[:2, 1:], image[2:4, 0:2])
    assert (out[:, 0] == 255).all() and (out[2] == 255).all()
