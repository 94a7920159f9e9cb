"""The comparison's plots: time per explanation and the faithfulness curves, drawn from small
hand-made tables with the declared columns."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from secam.report.overlay import DPI, PAGE_WIDTH
from secam.report.plots import draw_curves, draw_timing
from secam.table_columns import empty_table

from .conftest import documented_table


def timings() -> pd.DataFrame:
    rows = []
    for model, device in (("efficientnet_lite0", "cpu"), ("resnet50", "cuda")):
        for method, seconds in (
            ("secam", 0.02),
            ("secam_gradcam", 0.03),
            ("lime", 4.0),
            ("cam", 0.01),
        ):
            for image in range(3):
                rows.append(
                    {
                        "image_id": f"i{image}",
                        "model": model,
                        "method": method,
                        "device": device,
                        "total_seconds": seconds * (1 + image),
                    }
                )
    return documented_table("timings", rows=rows)


def png_size(path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


def test_timing_plot_has_a_box_per_method_in_paper_order(tmp_path, drawn):
    outputs = [tmp_path / "timing.png", tmp_path / "timing.pdf"]
    draw_timing(timings(), outputs)
    assert png_size(outputs[0]) == pytest.approx(((0.8 * 4 + 1.2) * DPI, 3 * DPI))  # 4 methods
    assert outputs[1].read_bytes().startswith(b"%PDF")
    (figure,) = drawn
    (axis,) = figure.axes
    labels = [t.get_text() for t in axis.get_xticklabels()]
    assert labels == ["LIME", "CAM", "SeCAM", "SeCAM over Grad-CAM"]
    assert axis.get_yscale() == "log"
    legend = [t.get_text() for t in axis.get_legend().get_texts()]
    assert legend == ["efficientnet_lite0 · cpu", "resnet50 · cuda"]
    # one point per explanation
    points = sum(len(c.get_offsets()) for c in axis.collections)
    assert points == len(timings()) == 24


def test_timing_plot_of_an_empty_table_is_still_drawn(tmp_path, drawn):
    out = tmp_path / "timing.png"
    draw_timing(empty_table("timings"), [out])
    assert png_size(out) == pytest.approx(((0.8 * 3 + 1.2) * DPI, 3 * DPI))  # three at least
    (figure,) = drawn
    assert len(figure.axes[0].collections) == 0


def test_timing_plot_leaves_the_table_as_it_was(tmp_path):
    frame = timings()
    draw_timing(frame, [tmp_path / "timing.png"])
    assert frame["method"].iloc[0] == "secam"
    assert "model · device" not in frame


def curve(model: str, method: str, fractions: list[float], deletion: list[float]) -> dict:
    return {
        "image_id": "x",
        "model": model,
        "method": method,
        "fractions": fractions,
        "deletion": deletion,
        "insertion": [1 - d for d in deletion],
    }


def test_curves_are_the_mean_per_model_and_method(tmp_path, drawn):
    steps = [0.0, 0.5, 1.0]
    curves = documented_table(
        "faithfulness",
        [
            curve("m", "secam", steps, [0.9, 0.4, 0.1]),
            curve("m", "secam", steps, [0.7, 0.2, 0.1]),
            curve("m", "lime", steps, [0.8, 0.6, 0.2]),
            curve("a", "secam", steps, [0.5, 0.5, 0.5]),
            # curves of different lengths cannot be averaged: the group is left out
            curve("m", "cam", steps, [0.9, 0.5, 0.1]),
            curve("m", "cam", [0.0, 1.0], [0.9, 0.1]),
        ],
    )
    outputs = [tmp_path / "curves.png", tmp_path / "curves.pdf"]
    draw_curves(curves, outputs)
    assert png_size(outputs[0]) == (PAGE_WIDTH * DPI, 3 * DPI)
    assert outputs[1].read_bytes().startswith(b"%PDF")
    (figure,) = drawn
    deletion, insertion = figure.axes
    expected = ["SeCAM (a, n=1)", "LIME (m, n=1)", "SeCAM (m, n=2)"]  # model, then paper order
    assert [line.get_label() for line in deletion.lines] == expected
    assert [line.get_label() for line in insertion.lines] == expected
    mean = deletion.lines[2]
    np.testing.assert_allclose(mean.get_xdata(), steps)
    np.testing.assert_allclose(mean.get_ydata(), [0.8, 0.3, 0.1])
    np.testing.assert_allclose(insertion.lines[2].get_ydata(), [0.2, 0.7, 0.9])
    assert [t.get_text() for t in insertion.get_legend().get_texts()] == expected
    assert deletion.get_legend() is None


def test_curves_of_an_empty_table_give_empty_axes(tmp_path, drawn):
    out = tmp_path / "curves.png"
    draw_curves(empty_table("faithfulness"), [out])
    assert png_size(out) == (PAGE_WIDTH * DPI, 3 * DPI)
    (figure,) = drawn
    assert [len(axis.lines) for axis in figure.axes] == [0, 0]
    assert all(axis.get_legend() is None for axis in figure.axes)


def test_timing_plot_of_one_model_has_a_title_not_a_one_entry_legend(tmp_path, drawn):
    one = timings()
    draw_timing(one[one["model"] == "resnet50"], [tmp_path / "timing.png"])
    (figure,) = drawn
    (axis,) = figure.axes
    assert axis.get_legend() is None
    assert axis.get_title() == "resnet50 · cuda"


def test_coinciding_curves_differ_in_line_style_and_say_so(tmp_path, drawn):
    steps = [0.0, 0.5, 1.0]
    same = [0.9, 0.4, 0.1]  # CAM, Grad-CAM and SeCAM on a GAP head: one curve
    curves = documented_table(
        "faithfulness",
        [curve("m", method, steps, same) for method in ("cam", "gradcam", "secam")]
        + [curve("m", "lime", steps, [0.8, 0.6, 0.2])],
    )
    draw_curves(curves, [tmp_path / "curves.png"])
    (figure,) = drawn
    deletion, insertion = figure.axes
    styles = [(line.get_linestyle(), line.get_marker()) for line in deletion.lines]
    assert len(set(styles)) == len(styles) == 4
    labels = [line.get_label() for line in insertion.lines]
    assert labels == [
        "LIME (m, n=1)",
        "CAM (m, n=1)",
        "Grad-CAM (m, n=1), identical to CAM",
        "SeCAM (m, n=1), identical to CAM",
    ]
    np.testing.assert_allclose(deletion.lines[3].get_ydata(), same)


def test_a_single_curve_has_no_legend(tmp_path, drawn):
    curves = documented_table("faithfulness", [curve("m", "secam", [0.0, 1.0], [0.9, 0.1])])
    draw_curves(curves, [tmp_path / "curves.png"])
    (figure,) = drawn
    assert all(axis.get_legend() is None for axis in figure.axes)
    assert figure.get_suptitle() == "SeCAM (m, n=1)"
