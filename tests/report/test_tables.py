import re

import pandas as pd

from secam.report.tables import paired_differences, quantitative, render, timing_table

from .conftest import sample_metrics


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


def test_timing_table_quartiles():
    timings = pd.DataFrame(
        {
            "model": "m",
            "method": "secam",
            "device": "cpu",
            "total_seconds": [1.0, 2.0, 3.0, 4.0, 100.0],
        }
    )
    row = timing_table(timings).iloc[0]
    assert (row["q1_seconds"], row["median_seconds"], row["q3_seconds"]) == (2.0, 3.0, 4.0)
