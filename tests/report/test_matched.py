import numpy as np
import pandas as pd
import pytest

from secam.report.matched import (
    MATCHED_METRICS,
    baseline_metrics,
    chosen_against_fixed,
    matched_area,
)
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


def _chosen_case(lifts: dict[str, float], images: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SeCAM at several selections whose lift over random regions (redrawn at the same area)
    is ``lifts[selection]`` plus a per-image wobble shared by every selection."""
    rng = np.random.default_rng(3)
    metric_rows, matched_rows = [], []
    for image in range(images):
        wobble, random_value = rng.normal(0, 0.01), rng.uniform(0.2, 0.3)
        for selection, lift in lifts.items():
            keys = {"image_id": f"i{image}", "model": "m", "method": "secam"}
            value = random_value + lift + wobble
            metric_rows.append(
                {**keys, "selection": selection, **dict.fromkeys(MATCHED_METRICS, value)}
            )
            matched_rows.append(
                {
                    **keys,
                    "selection": selection,
                    "comparator": "random-regions",
                    "area": 0.2,
                    "comparator_area": 0.2,
                    **dict.fromkeys(MATCHED_METRICS, random_value),
                }
            )
    return pd.DataFrame(metric_rows), pd.DataFrame(matched_rows)


def test_chosen_sizes_meet_the_best_top_k_by_their_lift_over_random_regions():
    metrics, matched = _chosen_case(
        {"top2": 0.10, "top3": 0.20, "thr80": 0.5, "gap": 0.25, "suff90": 0.15}
    )
    table = chosen_against_fixed(metrics, matched, resamples=300)
    assert set(table["metric"]) == set(MATCHED_METRICS)
    rows = table[table["metric"] == "box_iou"].set_index("selection")
    assert rows.index.tolist() == ["gap", "suff90"]  # gap before sufficient
    # the best top-k is top3 (a threshold is no fixed k, however high its lift)
    assert (rows["fixed"] == "top3").all()
    assert rows.loc["gap", "lift"] == pytest.approx(0.25, abs=0.01)  # plus the mean wobble
    assert rows.loc["gap", "fixed_lift"] == pytest.approx(0.20, abs=0.01)
    # the wobble is shared, so the paired difference is exact on every image
    for selection, difference in (("gap", 0.05), ("suff90", -0.05)):
        row = rows.loc[selection]
        assert row["difference"] == pytest.approx(difference)
        assert row["difference_low"] == pytest.approx(difference)
        assert row["difference_high"] == pytest.approx(difference)
        assert row["n"] == 12
    # without any top-k (or any chosen size) there is nothing to compare
    only_chosen = metrics["selection"].isin(["gap", "suff90"])
    assert chosen_against_fixed(metrics[only_chosen], matched[only_chosen]).empty
