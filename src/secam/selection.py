"""Turning scores into explanations: top-k regions, or everything above a share of the max."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # tables and figures parse selections without paying torch's import
    import torch


@dataclass(frozen=True)
class Selection:
    """``kind`` "top_k" (value = k) or "threshold" (value = share of the maximum score)."""

    kind: str
    value: float

    @property
    def name(self) -> str:
        if self.kind == "top_k":
            return f"top{int(self.value)}"
        return f"thr{round(self.value * 100):d}"

    @classmethod
    def parse(cls, name: str) -> Selection:
        match = re.fullmatch(r"(top|thr)(\d+)", name)
        if not match:
            raise ValueError(f"selection {name!r} is neither topK nor thrPP")
        kind, number = match.groups()
        return cls("top_k", int(number)) if kind == "top" else cls("threshold", int(number) / 100)


def selections_from_config(selection_config: dict) -> tuple[list[Selection], list[Selection]]:
    """(top-k selections, threshold selections), in config order."""
    top = [Selection("top_k", int(k)) for k in selection_config["top_k"]]
    thresholds = [Selection("threshold", float(f)) for f in selection_config["thresholds"]]
    return top, thresholds


def rank_regions(scores: np.ndarray) -> np.ndarray:
    """Region ids by decreasing score; ties go to the lower id, so the order is deterministic."""
    scores = np.asarray(scores, dtype=np.float64)
    return np.lexsort((np.arange(scores.size), -scores))


def select_regions(scores: np.ndarray, selection: Selection) -> tuple[np.ndarray, bool]:
    """Selected region ids, best first, and whether a top-k asked for more regions than exist."""
    order = rank_regions(scores)
    if selection.kind == "top_k":
        k = int(selection.value)
        return order[:k], k > order.size
    best = float(np.asarray(scores)[order[0]])
    if best <= 0:
        # No positive evidence: the single best region is the whole explanation.
        return order[:1], False
    keep = np.asarray(scores)[order] >= selection.value * best
    return order[keep], False


def regions_mask(labels: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Boolean mask of the pixels whose label is one of ``regions``."""
    lookup = np.zeros(int(labels.max()) + 1, dtype=bool)
    lookup[np.asarray(regions, dtype=np.int64)] = True
    return lookup[labels]


def threshold_mask(full_map: torch.Tensor, fraction: float) -> np.ndarray:
    """Pixels at or above ``fraction`` of the map's maximum (the maximum itself if it is <= 0)."""
    peak = full_map.max()
    if float(peak) <= 0:
        return (full_map >= peak).cpu().numpy()
    return (full_map >= fraction * peak).cpu().numpy()
