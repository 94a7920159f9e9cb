"""Uncertainty for the comparison tables: bootstrap confidence intervals and paired tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from secam.config import default

# The bootstrap's defaults, the schema's report.bootstrap_resamples and report.seed: every table
# function takes them from here unless the run's configuration gives its own.
RESAMPLES: int = default("report", "bootstrap_resamples")
SEED: int = default("report", "seed")


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    n: int


def bootstrap_ci(
    values: np.ndarray,
    level: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    chunk: int = 250,
) -> Interval:
    """Percentile bootstrap interval of the mean; NaNs are dropped first.

    Resamples are drawn in chunks so memory stays at ``chunk * n`` indices whatever ``n`` is.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    n = values.size
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    if n == 1:
        return Interval(float(values[0]), float(values[0]), float(values[0]), 1)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, chunk):
        stop = min(start + chunk, resamples)
        means[start:stop] = values[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(float(values.mean()), float(low), float(high), n)


def wilcoxon_p(differences: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (1.0 when all are zero)."""
    differences = np.asarray(differences, dtype=np.float64)
    differences = differences[np.isfinite(differences)]
    if differences.size == 0:
        return float("nan")
    if not np.any(differences != 0):
        return 1.0
    return float(stats.wilcoxon(differences, zero_method="wilcox").pvalue)
