import numpy as np
import pandas as pd
import pytest

from secam.report.matched import baseline_metrics, matched_area
from secam.report.tables import quantitative

from .conftest import sample_metrics


def _matched(metrics: pd.DataFrame) -> pd.DataFrame:
    """SeCAM top3 against LIME redrawn 0.1 lower, and a centred box at 0.2, image by image."""
    rows = []
    secam = metrics[(metrics["method"] == "secam") & (metrics["selection"] == "top3")]
    for row in secam.itertuples():
        for comparator, value in (("lime", row.box_iou - 0.1), ("centre-box", 0.2)):
            rows.append(
                {
                    "image_id": row.image_id,
                    "model": "m",
                    "method": "secam",
                    "selection": "top3",
                    "comparator": comparator,
                    "area": 0.1,
                    "comparator_area": 0.1,
                    **dict.fromkeys(("box_iou", "mask_iou", "ebpg"), value),
                }
            )
    return pd.DataFrame(rows)


def test_matched_area_table_and_baseline_rows():
    metrics = sample_metrics()
    matched = _matched(metrics)
    baselines = metrics[metrics["method"] == "lime"].assign(method="random-regions", box_iou=0.0)
    table = matched_area(metrics, baselines, matched, resamples=300)
    assert table["comparator"].tolist() == ["lime"] * 3 + ["centre-box"] * 3  # method order
    rows = table.set_index(["comparator", "metric"])
    lime = rows.loc[("lime", "box_iou")]
    # matched: exactly 0.1 on every image; fixed: SeCAM top3 minus LIME top3 as computed
    assert lime["difference"] == pytest.approx(0.1)
    assert lime["difference_low"] == pytest.approx(0.1) == lime["difference_high"]
    secam = metrics[(metrics["method"] == "secam") & (metrics["selection"] == "top3")]
    lime_rows = metrics[metrics["method"] == "lime"]
    assert lime["fixed_difference"] == pytest.approx(
        secam["box_iou"].mean() - lime_rows["box_iou"].mean()
    )
    assert np.isnan(rows.loc[("centre-box", "ebpg"), "fixed_difference"])
    assert rows.loc[("centre-box", "ebpg"), "difference"] == pytest.approx(
        secam["ebpg"].mean() - 0.2
    )
    assert (table["n"] == 30).all()

    quantitative_rows = quantitative(
        pd.concat([metrics, baseline_metrics(baselines, matched)]), resamples=200
    )
    assert quantitative_rows["method"].tolist() == [
        "lime",
        "cam",
        "secam",
        "secam",
        "random-regions",
        "centre-box@secam",
    ]
    assert quantitative_rows["box_iou"].iloc[-1] == pytest.approx(0.2)
