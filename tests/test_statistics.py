import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

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
