"""The randomisation test in the report (src/secam/report/sanity_report.py): the summary and
verdicts on constructed rows, the column titles and the figure."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from secam.randomisation import CHANGES, DOES_NOT_CHANGE, UNCLEAR
from secam.report.sanity_report import depth_labels, draw_sanity, sanity_summary
from secam.table_columns import TABLES

NAMES = {1: "head", 2: "layer4.1", 3: "layer4.0"}


def _rows(spearman_by_method: dict[str, dict[int, list[float]]]) -> pd.DataFrame:
    """Rows of table ``sanity``: per method, depth and image the given Spearman; two selections
    per image with mask IoUs 0.2 and 0.4 (mean 0.3)."""
    records = []
    for method, by_depth in spearman_by_method.items():
        for depth, values in by_depth.items():
            for i, value in enumerate(values):
                for selection, iou in (("thr80", 0.2), ("thr60", 0.4)):
                    records.append(
                        {
                            "image_id": f"img{i}",
                            "model": "m",
                            "method": method,
                            "depth": depth,
                            "randomised": NAMES[depth],
                            "selection": selection,
                            "target_index": 7,
                            "spearman": value,
                            "mask_iou": iou,
                        }
                    )
    return pd.DataFrame(records, columns=list(TABLES["sanity"]))


def test_summary_means_intervals_and_verdicts():
    rows = _rows(
        {
            "secam": {1: [0.1] * 6, 2: [0.05, 0.1, 0.15, 0.1, 0.05, 0.15], 3: [0.0] * 6},
            "cam": {1: [0.9] * 6, 2: [0.9, 0.95, 0.85, 0.9, 0.95, 0.85], 3: [0.8] * 6},
            "gradcam": {1: [0.5] * 6, 2: [0.0, 1.0, 0.1, 0.9, 0.2, 0.8], 3: [0.5] * 6},
        }
    )
    summary = sanity_summary(rows, resamples=500, seed=0)
    assert list(summary.columns) == list(TABLES["sanity_summary"])
    # paper order: CAM, Grad-CAM, then SeCAM; depths ascending
    assert list(zip(summary["method"], summary["depth"], strict=True)) == [
        (m, d) for m in ("cam", "gradcam", "secam") for d in (1, 2, 3)
    ]
    at_two = summary[summary["depth"] == 2].set_index("method")
    assert at_two.loc["secam", "spearman"] == pytest.approx(0.1)
    assert at_two.loc["cam", "spearman"] == pytest.approx(0.9)
    assert (summary["n"] == 6).all()
    assert summary["mask_iou"].to_numpy() == pytest.approx(np.full(9, 0.3))  # mean of selections
    assert (summary["spearman_low"] <= summary["spearman"]).all()
    assert (summary["spearman"] <= summary["spearman_high"]).all()
    assert at_two["verdict"].to_dict() == {
        "cam": DOES_NOT_CHANGE,
        "gradcam": UNCLEAR,
        "secam": CHANGES,
    }
    assert set(summary.loc[summary["depth"] != 2, "verdict"]) == {""}
    assert list(summary.loc[summary["method"] == "secam", "randomised"]) == list(NAMES.values())


def test_a_run_that_stops_at_the_head_is_decided_there():
    summary = sanity_summary(_rows({"secam": {1: [0.1, 0.2, 0.0, 0.1]}}), resamples=200)
    assert summary["verdict"].tolist() == [CHANGES]
    assert sanity_summary(_rows({})).empty


def test_depth_labels_are_cumulative_and_short():
    assert depth_labels(["head", "network._conv_head+network._bn1", "network._blocks.15"]) == [
        "trained",
        "+ head",
        "+ _conv_head+_bn1",
        "+ _blocks.15",
    ]
    assert depth_labels(["head", "layer4.1"]) == ["trained", "+ head", "+ layer4.1"]


def test_the_figure_renders_a_row_per_method_and_a_column_per_depth(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
    heatmaps = {
        ("m", "img0", method, depth): rng.random((60, 80)).astype(np.float32)
        for method in ("secam", "cam", "lime")
        for depth in range(4)
    }
    outputs = [tmp_path / "sanity.png", tmp_path / "sanity.pdf"]
    draw_sanity(
        heatmaps,
        {"img0": image},
        {"m": ["head", "layer4.1", "layer4.0"]},
        outputs,
        {"img0": [[5, 5, 40, 30]]},
    )
    width, height = Image.open(outputs[0]).size
    assert width > height  # 4 columns of depths, 3 rows of methods
    assert outputs[1].read_bytes().startswith(b"%PDF")
    empty = [tmp_path / "empty.png"]
    draw_sanity({}, {}, {}, empty)
    assert empty[0].stat().st_size > 0
