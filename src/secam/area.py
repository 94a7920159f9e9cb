"""Explanations at a chosen area, for comparing methods at the same explanation size (issue #8).

A method's explanation at its own setting (top-k regions, a share of the maximum) covers an area
that differs from method to method, and a larger explanation scores a larger box IoU. Each class
here ranks the pixels of one explanation once, then gives its mask at any area:

- :class:`PixelRanking`: a heatmap thresholded at the level that gives the area (CAM, Grad-CAM);
- :class:`RegionRanking`: whole superpixels in score order, as many as bring the area closest to
  the target (SeCAM, LIME, random regions: a superpixel is never split);
- :class:`CentredBox`: a centred rectangle of the area (the centre-bias baseline).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from secam.baselines import centre_box
from secam.selection import regions_mask


class AreaExplanation(ABC):
    """An explanation whose mask can be drawn at any area (share of the image, 0-1)."""

    @abstractmethod
    def mask_at(self, area: float) -> np.ndarray:
        """A boolean mask of the image's shape covering about ``area`` of it."""


class PixelRanking(AreaExplanation):
    """The pixels where the heatmap is highest: a threshold, exact to one pixel.

    Pixels tied at the threshold level are taken in raster order.
    """

    def __init__(self, heatmap: np.ndarray) -> None:
        self.shape = np.shape(heatmap)
        flat = np.asarray(heatmap, dtype=np.float64).reshape(-1)
        self.order = np.argsort(-flat, kind="stable")

    def mask_at(self, area: float) -> np.ndarray:
        count = round(float(np.clip(area, 0.0, 1.0)) * self.order.size)
        mask = np.zeros(self.order.size, dtype=bool)
        mask[self.order[:count]] = True
        return mask.reshape(self.shape)


class RegionRanking(AreaExplanation):
    """Superpixels best first (``order``: region ids), the prefix whose area is closest to the
    target; at least one region, ties to the smaller prefix. A method's own top-k (or
    threshold) selection is such a prefix, so at its own area it gives back its own mask."""

    def __init__(self, labels: np.ndarray, order: np.ndarray) -> None:
        self.labels = labels
        self.order = np.asarray(order, dtype=np.int64)
        sizes = np.bincount(labels.reshape(-1), minlength=int(labels.max()) + 1)
        self.cumulative = np.cumsum(sizes[self.order]) / labels.size

    def mask_at(self, area: float) -> np.ndarray:
        count = int(np.argmin(np.abs(self.cumulative - area))) + 1
        return regions_mask(self.labels, self.order[:count])


class CentredBox(AreaExplanation):
    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape

    def mask_at(self, area: float) -> np.ndarray:
        return centre_box(self.shape, area)
