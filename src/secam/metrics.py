"""Localisation metrics against human boxes.

Boxes are [xmin, ymin, xmax, ymax] in 0-based pixel indices with both ends inclusive, so a box
covers (xmax - xmin + 1) x (ymax - ymin + 1) pixels. Each metric implements only its batch
evaluation (after Quantus): masks and boxes in, one number per item out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

BoxList = Sequence[Sequence[int]]


def box_area(box: Sequence[int]) -> int:
    xmin, ymin, xmax, ymax = box
    return max(0, xmax - xmin + 1) * max(0, ymax - ymin + 1)


def box_iou(a: Sequence[int], b: Sequence[int]) -> float:
    inter = box_area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    union = box_area(a) + box_area(b) - inter
    return inter / union if union else 0.0


def mask_bbox(mask: np.ndarray) -> list[int] | None:
    """Tight inclusive bounding box of a boolean mask; None when the mask is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return [int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1])]


def boxes_mask(boxes: BoxList, shape: tuple[int, int]) -> np.ndarray:
    """Union of the boxes as a boolean (H, W) mask."""
    mask = np.zeros(shape, dtype=bool)
    for xmin, ymin, xmax, ymax in boxes:
        mask[ymin : ymax + 1, xmin : xmax + 1] = True
    return mask


def energy_inside(heatmap: np.ndarray, boxes: BoxList) -> float:
    """Energy-based pointing game: the share of the positive heatmap's mass inside the boxes.

    NaN when the heatmap has no positive mass.
    """
    positive = np.clip(np.asarray(heatmap, dtype=np.float64), 0, None)
    total = positive.sum()
    if total <= 0:
        return float("nan")
    return float(positive[boxes_mask(boxes, positive.shape)].sum() / total)


class LocalisationMetric(ABC):
    name: str

    @abstractmethod
    def evaluate_batch(self, masks: Sequence[np.ndarray], boxes: Sequence[BoxList]) -> np.ndarray:
        """One value per (explanation mask, ground-truth boxes) pair."""


class BoxIoU(LocalisationMetric):
    """IoU of the explanation's bounding box with the best-matching ground-truth box."""

    name = "box_iou"

    def evaluate_batch(self, masks, boxes):  # type: ignore[no-untyped-def]
        values = []
        for mask, truth in zip(masks, boxes, strict=True):
            bbox = mask_bbox(mask)
            values.append(0.0 if bbox is None else max(box_iou(bbox, b) for b in truth))
        return np.asarray(values, dtype=np.float64)


class MaskIoU(LocalisationMetric):
    """IoU of the explanation mask with the union of the ground-truth boxes."""

    name = "mask_iou"

    def evaluate_batch(self, masks, boxes):  # type: ignore[no-untyped-def]
        values = []
        for mask, truth in zip(masks, boxes, strict=True):
            gt = boxes_mask(truth, mask.shape)
            union = np.count_nonzero(mask | gt)
            values.append(np.count_nonzero(mask & gt) / union if union else 0.0)
        return np.asarray(values, dtype=np.float64)


class EBPG(LocalisationMetric):
    """Share of the explanation's pixels inside the union of the boxes (NaN if it is empty)."""

    name = "ebpg"

    def evaluate_batch(self, masks, boxes):  # type: ignore[no-untyped-def]
        values = []
        for mask, truth in zip(masks, boxes, strict=True):
            size = np.count_nonzero(mask)
            inside = np.count_nonzero(mask & boxes_mask(truth, mask.shape))
            values.append(inside / size if size else np.nan)
        return np.asarray(values, dtype=np.float64)


METRICS: tuple[LocalisationMetric, ...] = (BoxIoU(), MaskIoU(), EBPG())
