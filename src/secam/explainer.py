"""Explain single images in memory: the library's entry point for one's own images and models.

The workflow runs the same blocks stage by stage with caches; this composes them for one image.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from secam.activations import make_mapper
from secam.classes import ClassList, imagenet_classes
from secam.lime_explainer import lime_scorer
from secam.methods import method_spec
from secam.models.registry import LoadedModel
from secam.regions import region_means, upsample
from secam.segmentation import segment
from secam.selection import Selection, regions_mask, select_regions, threshold_mask
from secam.timing import Stopwatch


def parse_selection(text: str) -> Selection:
    """``top-k:3`` or ``threshold:0.8`` (also the table names ``top3``/``thr80``)."""
    match = re.fullmatch(r"top-k:(\d+)|threshold:([0-9.]+)", text)
    if match is None:
        try:
            return Selection.parse(text)
        except ValueError:
            raise ValueError(f"selection {text!r}: use top-k:K or threshold:F") from None
    if match.group(1) is not None:
        k = int(match.group(1))
        if k < 1:
            raise ValueError(f"selection {text!r}: k must be at least 1")
        return Selection("top_k", k)
    fraction = float(match.group(2))
    if not 0 < fraction <= 1:
        raise ValueError(f"selection {text!r}: the fraction must lie in (0, 1]")
    return Selection("threshold", fraction)


def parse_class(text: str, classes: ClassList | None = None) -> int:
    """A class given as an index, a wnid or a label (any of its comma-separated synonyms)."""
    return (classes or imagenet_classes()).find(text)


@dataclass
class Explanation:
    method: str
    selection: Selection
    predicted: int
    probabilities: np.ndarray
    target: int
    labels: np.ndarray  # superpixels (H, W)
    region_scores: np.ndarray  # per region id (empty for heatmap methods)
    selected_regions: np.ndarray
    truncated: bool
    mask: np.ndarray  # (H, W) bool
    map_source: str | None
    seconds: dict[str, float] = field(default_factory=dict)


def explain_image(
    model: LoadedModel,
    image: np.ndarray,
    method: str = "secam",
    selection: Selection | None = None,
    target: int | None = None,
    segmentation: dict[str, Any] | None = None,
    lime_options: dict[str, Any] | None = None,
    channel_batch: int = 64,
) -> Explanation:
    """Explain one (H, W, 3) uint8 image; ``target`` None explains the top-1 class."""
    spec = method_spec(method)
    selection = selection or Selection("top_k", 3)
    if spec.kind == "pixels" and selection.kind != "threshold":
        raise ValueError(f"{method} thresholds a heatmap: use a threshold:F selection")
    if spec.kind == "lime" and selection.kind != "top_k":
        raise ValueError("LIME selects superpixels by weight: use a top-k:K selection")
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    labels = segment(image, **(segmentation or {}))
    seconds["segmentation"] = time.perf_counter() - start

    with torch.no_grad():
        logits = model.module(model.preprocessing(image, model.device))
    probabilities = torch.softmax(logits[0].double(), dim=0).cpu().numpy()
    predicted = int(probabilities.argmax())
    target = predicted if target is None else int(target)

    watch = Stopwatch(model.device)
    source = None
    if spec.kind == "lime":
        options = lime_options or {}
        with watch.lap("forward"):
            scores = lime_scorer(method)(model, image, labels, target, **options)
    else:
        source = spec.resolved_source(model.head_path)
        mapper = make_mapper(model, source, channel_batch=channel_batch)
        with watch.lap("forward"):
            grid = mapper(model.preprocessing(image, model.device), [target]).maps[0]
        with watch.lap("upsample"):
            full_map = upsample(grid.cpu(), image.shape[:2])
        scores = np.zeros(0)
        if spec.kind == "regions":
            with watch.lap("region"):
                scores = region_means(full_map, labels).numpy()
    with watch.lap("select"):
        if spec.kind == "pixels":
            regions, truncated = np.zeros(0, dtype=np.int64), False
            mask = threshold_mask(full_map, selection.value)
        else:
            regions, truncated = select_regions(scores, selection)
            mask = regions_mask(labels, regions)
    seconds.update(watch.seconds)
    seconds["total"] = sum(v for k, v in watch.seconds.items())
    return Explanation(
        method,
        selection,
        predicted,
        probabilities,
        target,
        labels,
        np.asarray(scores, dtype=np.float64),
        regions,
        truncated,
        mask,
        source,
        seconds,
    )
