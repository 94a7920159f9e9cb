"""Sanity baselines: explanations that never look at the model, scored like every method.

A method "localises" only where it beats these at the same explanation area (issue #8):
``random_regions`` (k superpixels drawn at random, seeded per image), ``centre_box`` (a centred
rectangle of a given area: ImageNet objects are large and centred) and ``full_image``.
:mod:`secam.area` draws these and every method's explanation at a chosen area.
"""

from __future__ import annotations

import hashlib

import numpy as np


def image_rng(seed: int, image_id: str) -> np.random.Generator:
    """A generator for one image: the same draw whatever the order or sharding of the images."""
    digest = hashlib.sha256(image_id.encode("utf-8")).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])


RANDOM_REGIONS, CENTRE_BOX, FULL_IMAGE = "random-regions", "centre-box", "full-image"
BASELINES = (RANDOM_REGIONS, CENTRE_BOX, FULL_IMAGE)  # their order in every table
FULL_IMAGE_SELECTION = "all"  # the selection name of the full-image baseline


def random_order(n_regions: int, rng: np.random.Generator) -> np.ndarray:
    """The superpixels in a uniformly random order: a region method with random scores."""
    return rng.permutation(n_regions)


def random_scores(order: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Region scores for a random order: uniform draws, sorted so that they fall along
    ``order`` (its first region scores highest). Their drops are random too, so a size chosen
    from the scores (the ``gap`` selection) is a random size, not a constant one."""
    scores = np.empty(order.size)
    scores[order] = np.sort(rng.random(order.size))[::-1]
    return scores


def random_regions(labels: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """``k`` distinct superpixels drawn uniformly (the first ``k`` of :func:`random_order`):
    (sorted region ids, truncated), where truncated means the segmentation had fewer than ``k``
    regions (all are then taken)."""
    n_regions = int(labels.max()) + 1
    chosen = random_order(n_regions, rng)[:k]
    return np.sort(chosen), k > n_regions


def centre_box(shape: tuple[int, int], area: float) -> np.ndarray:
    """A centred rectangle with (nearly) the image's aspect ratio covering ``area`` (0-1) of it.

    The width is fitted to the rounded height, so the area is right to about one column.
    """
    height, width = shape
    area = float(np.clip(area, 0.0, 1.0))
    box_height = round(height * np.sqrt(area))
    box_width = min(width, round(area * height * width / box_height)) if box_height else 0
    top, left = (height - box_height) // 2, (width - box_width) // 2
    mask = np.zeros((height, width), dtype=bool)
    mask[top : top + box_height, left : left + box_width] = True
    return mask


def full_image(shape: tuple[int, int]) -> np.ndarray:
    return np.ones(shape, dtype=bool)
