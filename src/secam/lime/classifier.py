"""What both LIME implementations share: the classifier LIME queries, the region-score vector,
and the signature every region scorer has (:class:`RegionScorer`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np
import torch

from secam.models.registry import LoadedModel
from secam.timing import Stopwatch


class RegionScorer(Protocol):
    """LIME's surrogate weight of every superpixel of ``segments`` for class ``target``."""

    def __call__(
        self,
        model: LoadedModel,
        image: np.ndarray,
        segments: np.ndarray,
        target: int,
        num_samples: int = ...,
        seed: int = ...,
        batch_size: int = ...,
        kernel_width: float = ...,
        watch: Stopwatch | None = None,
    ) -> np.ndarray: ...


def probability_fn(
    model: LoadedModel, watch: Stopwatch | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """The classifier LIME calls: a batch of (H, W, 3) images -> (N, classes) probabilities.

    ``watch`` accumulates the calls' time in its ``forward`` lap.
    """
    watch = watch or Stopwatch(model.device)

    def predict(images: np.ndarray) -> np.ndarray:
        with watch.lap("forward"):
            images = np.asarray(images)
            if images.dtype != np.uint8:
                images = np.clip(images, 0, 255).astype(np.uint8)
            # inference_mode skips the autograd bookkeeping that no_grad still does
            with torch.inference_mode():
                x = model.preprocessing(images, model.device)
                return torch.softmax(model.module(x), dim=1).cpu().numpy().astype(np.float64)

    return predict


def scores_by_region(weights: Iterable[tuple[int, float]], n_regions: int) -> np.ndarray:
    """LIME's (region, weight) pairs as a score vector indexed by region id."""
    scores = np.zeros(n_regions, dtype=np.float64)
    for region, weight in weights:
        scores[int(region)] = weight
    return scores
