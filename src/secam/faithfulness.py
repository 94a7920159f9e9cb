"""Faithfulness beyond the paper: region deletion and insertion curves.

Deletion replaces superpixels, best first, by a blurred copy of the image and follows the
explained class's probability down; insertion starts from the blurred image and puts them back.
Every method is scored on the same superpixels, ordered by its own region scores (SeCAM, LIME)
or by the mean of its heatmap inside each superpixel (CAM and the other heatmaps), so the curves
compare orderings, not segmentations. A lower deletion AUC and a higher insertion AUC are better.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.integrate import trapezoid

from secam.selection import rank_regions

Classifier = Callable[[np.ndarray], np.ndarray]  # (N, H, W, 3) uint8 -> (N, classes) probs


@dataclass(frozen=True)
class Curves:
    fractions: np.ndarray  # share of the superpixels removed (deletion) or inserted
    deletion: np.ndarray  # probability of the class at each step
    insertion: np.ndarray

    @property
    def deletion_auc(self) -> float:
        return float(trapezoid(self.deletion, self.fractions))

    @property
    def insertion_auc(self) -> float:
        return float(trapezoid(self.insertion, self.fractions))


def blurred(image: np.ndarray, sigma: float | None = None) -> np.ndarray:
    """A Gaussian-blurred copy: removed pixels lose their detail but keep the image's colours."""
    sigma = sigma if sigma is not None else max(image.shape[:2]) / 20
    smooth = ndimage.gaussian_filter(image.astype(np.float32), sigma=(sigma, sigma, 0))
    return np.clip(np.round(smooth), 0, 255).astype(np.uint8)


def region_curves(
    classify: Classifier,
    image: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    target: int,
    steps: int = 10,
    batch_size: int = 4,
) -> Curves:
    """Deletion and insertion curves over ``steps`` equal shares of the ranked superpixels."""
    order = rank_regions(scores)
    n = order.size
    fractions = np.linspace(0.0, 1.0, steps + 1)
    counts = np.unique(np.round(fractions * n).astype(int))
    fractions = counts / n
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    pixel_rank = rank[labels]  # each pixel's region position in the ordering
    background = blurred(image)

    def probabilities(images: list[np.ndarray]) -> np.ndarray:
        out = []
        for start in range(0, len(images), batch_size):
            out.append(classify(np.stack(images[start : start + batch_size]))[:, target])
        return np.concatenate(out)

    deleted = [np.where((pixel_rank < k)[..., None], background, image) for k in counts]
    inserted = [np.where((pixel_rank < k)[..., None], image, background) for k in counts]
    values = probabilities(deleted + inserted)
    return Curves(fractions, values[: len(counts)], values[len(counts) :])
