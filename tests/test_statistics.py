import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from secam.report.matched import baseline_metrics, matched_area
from secam.report.tables import paired_differences, quantitative, render, timing_table
from secam.statistics import bootstrap_ci, wilcoxon_p


def test_bootstrap_interval_covers_the_true_mean_at_about_the_nominal_rate():
    rng = np.random.default_rng(0)
    trials, hits = 300, 0
    for trial in range(trials):
        sample = rng.exponential(scale=2.0, size=60)  # skewed, true mean 2.0
        interval = bootstrap_ci(sample, resamples=1000, seed=trial)
        hits += interval.low <= 2.0 <= interval.high
    coverage = hits / trials
    assert 0.88 <= coverage <= 0.98  # nominal 0.95; percentile intervals run a little short


def test_bootstrap_is_seeded_and_drops_nans():
    values = np.array([0.1, 0.5, np.nan, 0.9, 0.4])
    a, b = bootstrap_ci(values, seed=3), bootstrap_ci(values, seed=3)
    assert a == b and a.n == 4 and a.low <= a.mean <= a.high
    assert bootstrap_ci(np.array([np.nan])).n == 0


def test_wilcoxon_matches_scipy_and_handles_ties_at_zero():
    diff = np.array([0.3, -0.1, 0.4, 0.2, 0.25, -0.05, 0.5, 0.15])
    assert wilcoxon_p(diff) == pytest.approx(stats.wilcoxon(diff).pvalue)
    assert wilcoxon_p(np.zeros(5)) == 1.0


def _metrics() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for image in range(30):
        for method, selection, shift in [
            ("secam", "top3", 0.1),
            ("lime", "top3", 0.0),
            ("secam", "thr80", 0.0),
            ("cam", "thr80", 0.0),
        ]:
            base = rng.uniform(0.2, 0.6)
            rows.append(
                {
                    "image_id": f"i{image:02d}",
                    "model": "m",
                    "method": method,
                    "selection": selection,
                    "box_iou": base + shift,
                    "mask_iou": base,
                    "ebpg": base,
                    "energy_ebpg": np.nan,
                    "pointing_hit": float(base > 0.4),
                    "area": 0.1,
                    # two images with fewer superpixels than k, for the top-k methods
                    "truncated": image < 2 and selection == "top3",
                }
            )
    return pd.DataFrame(rows)


def test_quantitative_and_paired_tables():
    metrics = _metrics()
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
    metrics = _metrics()
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
