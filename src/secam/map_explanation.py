"""From a Block-1 map to explanations: upsample, region mean (Eq. 4), selection.

:func:`explain_map` is the one place this sequence is written: every stage (explain,
faithfulness, baselines, evaluate) and :func:`secam.explainers.explain_image` go through it, so
they all draw the same map at full resolution, the same region scores and the same masks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from secam.regions import region_means, upsample
from secam.selection import PrefixProbe, Selection, regions_mask, select_regions, threshold_mask
from secam.timing import Stopwatch

KINDS = ("regions", "pixels", "lime")  # see secam.methods


@dataclass(frozen=True)
class Selected:
    """One selection's explanation."""

    selection: Selection
    mask: np.ndarray  # (H, W) bool
    regions: np.ndarray  # selected region ids, best first (empty for pixel methods)
    truncated: bool  # a top-k asked for more regions than exist
    seconds: float  # the selection's own time (its "select" lap)


@dataclass(frozen=True)
class MapExplanation:
    """What :func:`explain_map` made of one map (or of given region scores)."""

    kind: str
    full_map: torch.Tensor | None  # (H, W) float32 on the host; None when scores were given
    labels: np.ndarray | None  # the superpixels the scores are over
    region_scores: np.ndarray | None  # per region id; None without superpixels
    selected: list[Selected]

    @property
    def heatmap(self) -> np.ndarray:
        """The explanation's continuous map at full resolution, what the heatmap metrics read:
        the map itself for pixel methods, each pixel's region score for SeCAM and LIME."""
        if self.kind == "pixels" or self.region_scores is None or self.labels is None:
            if self.full_map is None:
                raise ValueError("neither a map nor region scores over superpixels")
            return self.full_map.cpu().numpy()
        return self.region_scores[self.labels]


def explain_map(
    grid_map: torch.Tensor | np.ndarray | None,
    size: tuple[int, int],
    labels: np.ndarray | None,
    kind: str,
    selections: Sequence[Selection] = (),
    *,
    region_scores: np.ndarray | None = None,
    watch: Stopwatch | None = None,
    device: torch.device | str = "cpu",
    probe: PrefixProbe | None = None,
) -> MapExplanation:
    """Map on the feature grid -> full resolution -> region means (Eq. 4) -> one mask per selection.

    - ``grid_map`` (h, w), bilinearly upsampled to ``size`` = (height, width), timed as the
      ``upsample`` lap of ``watch``; None when ``region_scores`` are given instead (LIME);
    - ``labels`` (H, W) superpixel ids, or None (pixel methods in the explain stage): with
      labels and a map, the region means of the map are the region scores, timed as ``region``;
      a pixel method given labels gets them too (the faithfulness curves order its regions);
    - ``kind`` (:data:`KINDS`): ``pixels`` thresholds the full map pixel by pixel, the others
      select superpixels by their scores;
    - every selection runs in its own ``select`` lap on ``device``: :attr:`Selected.seconds`;
      ``sufficient:P`` asks ``probe`` (the model on the kept regions), so its lap holds those
      forward passes.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown method kind {kind!r}; one of {', '.join(KINDS)}")
    watch = watch if watch is not None else Stopwatch(device)
    full_map = None
    if grid_map is not None:
        with watch.lap("upsample"):
            full_map = upsample(grid_map, size)
    if region_scores is None and labels is not None and full_map is not None:
        with watch.lap("region"):
            region_scores = region_means(full_map, labels).numpy()
    selected = []
    for selection in selections:
        lap = Stopwatch(device)
        with lap.lap("select"):
            if kind == "pixels":
                if full_map is None:
                    raise ValueError("a pixel method thresholds its map: give grid_map")
                if selection.kind != "threshold":
                    raise ValueError(f"a pixel method has no regions to select {selection.name}")
                regions, truncated = np.zeros(0, dtype=np.int64), False
                mask = threshold_mask(full_map, selection.value)
            else:
                if region_scores is None or labels is None:
                    raise ValueError(f"a {kind} method selects superpixels: give labels")
                regions, truncated = select_regions(region_scores, selection, probe)
                mask = regions_mask(labels, regions)
        selected.append(Selected(selection, mask, regions, truncated, lap["select"]))
    return MapExplanation(kind, full_map, labels, region_scores, selected)
