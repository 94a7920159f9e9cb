import numpy as np
import pytest
from scipy import stats

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
