"""Localisation metrics against human boxes.

Boxes are [xmin, ymin, xmax, ymax] in 0-based pixel indices with both ends inclusive, so a box
covers (xmax - xmin + 1) x (ymax - ymin + 1) pixels. Each metric implements only its batch
evaluation (after Quantus): explanations (:class:`Explained`: mask and/or heatmap) and boxes in,
one number per item out. Three read the explanation's mask (box IoU, mask IoU, EBPG), two its
heatmap (energy-based pointing game, pointing game); :func:`score_batch` runs them, and every
stage that scores explanations calls it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import ndimage

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


class Explained(NamedTuple):
    """What the metrics read of one explanation: its mask, its heatmap, or both.

    ``mask``: (H, W) bool, the selected pixels (the mask metrics); ``heatmap``: (H, W) float, the
    explanation's continuous map (the heatmap metrics): the map itself for pixel methods, each
    pixel's region score for SeCAM and LIME. A metric whose input is None raises.
    """

    mask: np.ndarray | None = None
    heatmap: np.ndarray | None = None


class LocalisationMetric(ABC):
    name: str
    reads: str  # "mask" or "heatmap": the field of Explained the metric evaluates
    description: str  # its column in the metrics table (secam.table_columns, docs/artifacts.md)

    @abstractmethod
    def evaluate_batch(self, items: Sequence[Explained], boxes: Sequence[BoxList]) -> np.ndarray:
        """One value per (explanation, ground-truth boxes) pair."""

    def _inputs(self, items: Sequence[Explained]) -> list[np.ndarray]:
        inputs = [getattr(item, self.reads) for item in items]
        if any(value is None for value in inputs):
            raise ValueError(f"{self.name} needs the explanation's {self.reads}")
        return inputs


class BoxIoU(LocalisationMetric):
    """IoU of the explanation's bounding box with the best-matching ground-truth box."""

    name, reads = "box_iou", "mask"
    description = "IoU of the explanation's bounding box with the best-matching ground-truth box"

    def evaluate_batch(self, items, boxes):  # type: ignore[no-untyped-def]
        values = []
        for mask, truth in zip(self._inputs(items), boxes, strict=True):
            bbox = mask_bbox(mask)
            values.append(0.0 if bbox is None else max(box_iou(bbox, b) for b in truth))
        return np.asarray(values, dtype=np.float64)


class MaskIoU(LocalisationMetric):
    """IoU of the explanation mask with the union of the ground-truth boxes."""

    name, reads = "mask_iou", "mask"
    description = "IoU of the explanation mask with the union of the ground-truth boxes"

    def evaluate_batch(self, items, boxes):  # type: ignore[no-untyped-def]
        values = []
        for mask, truth in zip(self._inputs(items), boxes, strict=True):
            gt = boxes_mask(truth, mask.shape)
            union = np.count_nonzero(mask | gt)
            values.append(np.count_nonzero(mask & gt) / union if union else 0.0)
        return np.asarray(values, dtype=np.float64)


class EBPG(LocalisationMetric):
    """Share of the explanation's pixels inside the union of the boxes (NaN if it is empty)."""

    name, reads = "ebpg", "mask"
    description = "share of the explanation's pixels inside the union of the ground-truth boxes"

    def evaluate_batch(self, items, boxes):  # type: ignore[no-untyped-def]
        values = []
        for mask, truth in zip(self._inputs(items), boxes, strict=True):
            size = np.count_nonzero(mask)
            inside = np.count_nonzero(mask & boxes_mask(truth, mask.shape))
            values.append(inside / size if size else np.nan)
        return np.asarray(values, dtype=np.float64)


def _unique(heatmaps: list[np.ndarray], boxes: Sequence[BoxList]) -> tuple[list[int], list[int]]:
    """(index of each pair's first occurrence, the first occurrences): a heatmap shared by the
    selections of one image, with the same boxes, is evaluated once."""
    first: dict[tuple, int] = {}
    where = []
    for index, (heatmap, truth) in enumerate(zip(heatmaps, boxes, strict=True)):
        key = (id(heatmap), tuple(tuple(int(v) for v in box) for box in truth))
        where.append(first.setdefault(key, index))
    return where, sorted(first.values())


class HeatmapMetric(LocalisationMetric):
    """A metric of the explanation's heatmap: one number per (heatmap, boxes), computed once for
    a heatmap the selections of an image share."""

    reads = "heatmap"

    def evaluate_batch(self, items, boxes):  # type: ignore[no-untyped-def]
        heatmaps = self._inputs(items)
        where, firsts = _unique(heatmaps, boxes)
        values = {index: self.score(np.asarray(heatmaps[index]), boxes[index]) for index in firsts}
        return np.asarray([values[index] for index in where], dtype=np.float64)

    @abstractmethod
    def score(self, heatmap: np.ndarray, boxes: BoxList) -> float:
        """The metric of one heatmap against its boxes."""


class EnergyEBPG(HeatmapMetric):
    """Energy-based pointing game: the share of the positive heatmap's mass inside the union of
    the boxes (NaN when the heatmap has no positive mass)."""

    name = "energy_ebpg"
    description = (
        "share of the positive explanation heatmap's mass inside that union (heatmap: the map "
        "for pixel methods, each pixel's region score for SeCAM and LIME)"
    )

    def score(self, heatmap: np.ndarray, boxes: BoxList) -> float:
        positive = np.clip(heatmap.astype(np.float64), 0, None)
        total = positive.sum()
        inside = positive[boxes_mask(boxes, positive.shape)].sum()
        return float(inside / total) if total > 0 else np.nan


class PointingGame(HeatmapMetric):
    """Pointing game: 1.0 when the heatmap's maximum falls inside the boxes, else 0.0.

    Where the maximum is a plateau (a superpixel's score), the point is the plateau's pixel
    deepest inside it, the point a person would put a finger on.
    """

    name = "pointing_hit"
    description = "pointing game: 1.0 when the heatmap's maximum lies inside that union, else 0.0"

    def score(self, heatmap: np.ndarray, boxes: BoxList) -> float:
        plateau = heatmap >= heatmap.max()
        depth = ndimage.distance_transform_edt(np.pad(plateau, 1))[1:-1, 1:-1]
        y, x = np.unravel_index(int(depth.argmax()), depth.shape)
        return float(boxes_mask(boxes, heatmap.shape)[y, x])


METRICS: tuple[LocalisationMetric, ...] = (
    BoxIoU(),
    MaskIoU(),
    EBPG(),
    EnergyEBPG(),
    PointingGame(),
)
METRIC_NAMES = tuple(metric.name for metric in METRICS)
MASK_METRICS = tuple(metric.name for metric in METRICS if metric.reads == "mask")


def score_batch(
    items: Sequence[Explained], boxes: Sequence[BoxList], metrics: Sequence[str] = METRIC_NAMES
) -> dict[str, np.ndarray]:
    """Every metric named in ``metrics`` (default: all five) on every (item, boxes) pair: the one
    way the pipeline scores explanations. ``boxes``: one list of boxes per item."""
    unknown = set(metrics) - set(METRIC_NAMES)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; one of {', '.join(METRIC_NAMES)}")
    if len(items) != len(boxes):
        raise ValueError(f"{len(items)} explanations but {len(boxes)} box lists")
    return {m.name: m.evaluate_batch(items, boxes) for m in METRICS if m.name in metrics}
