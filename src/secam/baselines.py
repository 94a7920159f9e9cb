"""Sanity baselines: explanations that never look at the model, scored like every method.

A method "localises" only where it beats these at the same explanation area (issue #8):
``random_regions`` (k superpixels drawn at random, seeded per image), ``centre_box`` (a centred
rectangle of a given area: ImageNet objects are large and centred) and ``full_image``.
``matched_area_mask`` thresholds a heatmap so that it covers a given area, for comparing
heatmap and region methods at the same explanation size.
"""

from __future__ import annotations

import hashlib

import numpy as np


def image_rng(seed: int, image_id: str) -> np.random.Generator:
    """A generator for one image: the same draw whatever the order or sharding of the images."""
    digest = hashlib.sha256(image_id.encode("utf-8")).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])


def random_regions(labels: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """``k`` distinct superpixels drawn uniformly: (sorted region ids, truncated), where
    truncated means the segmentation had fewer than ``k`` regions (all are then taken)."""
    n_regions = int(labels.max()) + 1
    chosen = rng.choice(n_regions, size=min(k, n_regions), replace=False)
    return np.sort(chosen), k > n_regions


def centre_box(shape: tuple[int, int], area: float) -> np.ndarray:
    """A centred rectangle with the image's aspect ratio covering ``area`` (0-1) of it."""
    height, width = shape
    scale = float(np.sqrt(np.clip(area, 0.0, 1.0)))
    box_height, box_width = round(height * scale), round(width * scale)
    top, left = (height - box_height) // 2, (width - box_width) // 2
    mask = np.zeros((height, width), dtype=bool)
    mask[top : top + box_height, left : left + box_width] = True
    return mask


def full_image(shape: tuple[int, int]) -> np.ndarray:
    return np.ones(shape, dtype=bool)


def matched_area_mask(heatmap: np.ndarray, area: float) -> np.ndarray:
    """The ``area`` share (0-1) of the pixels where ``heatmap`` is highest.

    This is the heatmap thresholded at the level that gives that area; pixels tied at the
    level are taken in raster order, so the area is exact to one pixel.
    """
    flat = np.asarray(heatmap, dtype=np.float64).reshape(-1)
    count = round(float(np.clip(area, 0.0, 1.0)) * flat.size)
    order = np.argsort(-flat, kind="stable")
    mask = np.zeros(flat.size, dtype=bool)
    mask[order[:count]] = True
    return mask.reshape(np.shape(heatmap))
