import re

import pandas as pd
import pytest

from secam.report.rendering import render
from secam.report.tables import (
    accuracy_table,
    chosen_sizes,
    hand_picked,
    paired_differences,
    quantitative,
    selection_faithfulness,
    timing_table,
)

from .conftest import sample_metrics


def test_hand_picked_is_a_boolean_mask_even_of_no_rows():
    """The paper's selections (top-k, threshold, the full image) against those sized without a
    hand-picked k; of no rows a boolean mask still (pandas keeps the string dtype of an empty
    mapped string column, and combining it with '&' is deprecated)."""
    names = pd.Series(["top2", "thr80", "all", "gap", "suff90"], dtype="str")
    assert hand_picked(names).tolist() == [True, True, True, False, False]
    empty = hand_picked(names[:0])
    assert empty.dtype == bool
    assert (pd.Series([], dtype=bool) & empty).dtype == bool


def test_quantitative_and_paired_tables():
    metrics = sample_metrics()
    table = quantitative(metrics, resamples=500)
    assert table["method"].tolist() == ["lime", "cam", "secam", "secam"]
    assert (table["n"] == 30).all()
    assert (table["box_iou_low"] <= table["box_iou"]).all()
    assert table["energy_ebpg"].isna().all()
    assert table["truncated"].tolist() == [2, 0, 2, 0]  # lime top3, cam, secam top3, thr80
    paired = paired_differences(metrics, resamples=500).set_index(["baseline", "metric"])
    assert set(paired.index.get_level_values(0)) == {"lime", "cam"}
    lime_iou = paired.loc[("lime", "box_iou")]
    assert lime_iou["selection"] == "top3" and lime_iou["n"] == 30
    assert lime_iou["difference_low"] > 0 and lime_iou["wilcoxon_p"] < 0.05
    assert re.search(r"^\| lime\s+\|", render(paired.reset_index(), "md"), re.MULTILINE)
    assert "\\begin{tabular}" in render(table, "tex")


def test_accuracy_is_the_share_of_top1_predictions_equal_to_the_label():
    manifest = pd.DataFrame({"image_id": ["a", "b", "c", "d"], "class_index": [1, 2, 3, 4]})
    predictions = pd.DataFrame(
        {
            "image_id": ["d", "c", "b", "a", "a", "b"],  # any order, one row per image and model
            "model": ["m1"] * 4 + ["m2"] * 2,
            "predicted_index": [4, 0, 2, 1, 5, -1],  # m1: 3 of 4; m2: none (-1: not ImageNet)
        }
    )
    table = accuracy_table(predictions, manifest, resamples=500).set_index("model")
    assert table["n"].tolist() == [4, 2]
    assert table["top1"].tolist() == [0.75, 0.0]
    assert table.loc["m1", "top1_low"] < 0.75 < table.loc["m1", "top1_high"] <= 1.0
    assert table.loc["m2", ["top1_low", "top1_high"]].tolist() == [0.0, 0.0]


def test_timing_table_quartiles_without_and_with_the_segmentation():
    """SeCAM is charged the segmentation it needs, CAM is not (the same images' SLIC)."""
    timings = pd.DataFrame(
        {
            "model": "m",
            "method": ["secam"] * 5 + ["cam"] * 5,
            "device": "cpu",
            "total_seconds": [1.0, 2.0, 3.0, 4.0, 100.0] * 2,
            "segmentation_seconds": [0.5, 0.5, 0.5, 0.5, 10.0] * 2,
        }
    )
    rows = timing_table(timings).set_index("method")
    secam, cam = rows.loc["secam"], rows.loc["cam"]
    for row in (secam, cam):
        assert (row["q1_seconds"], row["median_seconds"], row["q3_seconds"]) == (2.0, 3.0, 4.0)
    assert secam["segmentation_median_seconds"] == 0.5 and cam["segmentation_median_seconds"] == 0
    whole = ["end_to_end_q1_seconds", "end_to_end_median_seconds", "end_to_end_q3_seconds"]
    assert secam[whole].tolist() == [2.5, 3.5, 4.5]
    assert cam[whole].tolist() == [2.0, 3.0, 4.0]
    shown = render(timing_table(timings), "md").splitlines()
    assert "end to end s" in shown[0] and "segmentation s" in shown[0]
    assert re.search(r"^\| m +\| secam .*\| 3\.5 \[2\.5, 4\.5\] +\|$", shown[3])


def test_chosen_sizes_describe_how_many_superpixels_each_chosen_selection_took():
    rows = []
    for image, (gap, sufficient) in enumerate([(1, 4), (2, 6), (2, 8), (5, 40)]):
        for selection, k in (("top3", 3), ("gap", gap), ("suff90", sufficient)):
            rows.append(
                {
                    "image_id": f"i{image}",
                    "model": "m",
                    "method": "secam",
                    "selection": selection,
                    "n_selected": k,
                    "n_regions": 40,
                    "area": k / 40,
                }
            )
    table = chosen_sizes(pd.DataFrame(rows)).set_index("selection")
    assert table.index.tolist() == ["gap", "suff90"]  # the paper's top-k is not described here
    sufficient = table.loc["suff90"]
    assert sufficient["n"] == 4 and sufficient["k_mean"] == 14.5
    assert (sufficient["k_q1"], sufficient["k_median"], sufficient["k_q3"]) == (5.5, 7.0, 16.0)
    assert (sufficient["k_min"], sufficient["k_max"]) == (4, 40)
    assert sufficient["all_regions"] == 0.25  # one image needed every superpixel
    assert sufficient["area"] == pytest.approx(58 / 160)
    assert table.loc["gap", "k_median"] == 2.0 and table.loc["gap", "all_regions"] == 0.0
    assert "7.00 [5.50, 16.00]" in render(chosen_sizes(pd.DataFrame(rows)), "md")


def test_selection_faithfulness_averages_what_each_selection_keeps():
    curves = pd.DataFrame(
        {
            "model": "m",
            "method": ["secam", "secam", "cam"],
            "image_id": ["a", "b", "a"],
            "selections": [["top3", "suff90"], ["top3", "suff90"], ["thr80"]],
            "kept": [[0.2, 0.95], [0.4, 1.05], [0.5]],
        }
    )
    table = selection_faithfulness(curves, resamples=200).set_index(["method", "selection"])
    assert table.index.tolist() == [("cam", "thr80"), ("secam", "top3"), ("secam", "suff90")]
    assert table.loc[("secam", "top3"), "kept"] == pytest.approx(0.3)
    assert table.loc[("secam", "suff90"), "kept_median"] == pytest.approx(1.0)
    assert table.loc[("secam", "suff90"), "n"] == 2 and table.loc[("cam", "thr80"), "n"] == 1
    low, high = table.loc[("secam", "top3"), ["kept_low", "kept_high"]]
    assert 0.2 <= low <= 0.3 <= high <= 0.4
