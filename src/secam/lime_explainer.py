"""LIME with the reference ``lime`` package, on the same superpixels as SeCAM."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from lime import lime_image

from secam.models.registry import LoadedModel
from secam.timing import Stopwatch


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
            # inference_mode skips autograd's bookkeeping: about 10 % faster than no_grad here
            with torch.inference_mode():
                x = model.preprocessing(images, model.device)
                return torch.softmax(model.module(x), dim=1).cpu().numpy().astype(np.float64)

    return predict


def lime_region_scores(
    model: LoadedModel,
    image: np.ndarray,
    segments: np.ndarray,
    target: int,
    num_samples: int = 1000,
    seed: int = 0,
    batch_size: int = 4,
    kernel_width: float = 0.25,
    watch: Stopwatch | None = None,
) -> np.ndarray:
    """LIME's surrogate weight of every superpixel for class ``target`` (index = region id).

    A fresh explainer seeded with ``seed`` per call, so the same image always gets the same
    perturbations. Hidden superpixels take their mean colour (``hide_color=None``, LIME's
    default). ``watch`` gets the laps ``forward`` (the classifier calls) and ``surrogate``
    (the ridge fit); the rest of the call is the package's sampling.
    """
    watch = watch or Stopwatch(model.device)
    explainer = lime_image.LimeImageExplainer(kernel_width=kernel_width, random_state=seed)
    _time_surrogate_fit(explainer, watch)
    explanation = explainer.explain_instance(
        image,
        probability_fn(model, watch),
        labels=(int(target),),
        top_labels=None,
        hide_color=None,
        num_samples=num_samples,
        batch_size=batch_size,
        segmentation_fn=lambda _: segments,
        random_seed=seed,
    )
    return scores_by_region(explanation.local_exp[int(target)], int(segments.max()) + 1)


def _time_surrogate_fit(explainer: lime_image.LimeImageExplainer, watch: Stopwatch) -> None:
    """Time the package's ridge fit: wraps the method on this explainer's own ``LimeBase``
    instance (the package has no hook for it); other explainers are untouched."""
    base = explainer.base
    fit = base.explain_instance_with_data

    def timed_fit(*args: Any, **kwargs: Any) -> Any:
        with watch.lap("surrogate"):
            return fit(*args, **kwargs)

    base.explain_instance_with_data = timed_fit  # type: ignore[method-assign]


def scores_by_region(weights: Iterable[tuple[int, float]], n_regions: int) -> np.ndarray:
    """LIME's (region, weight) pairs as a score vector indexed by region id."""
    scores = np.zeros(n_regions, dtype=np.float64)
    for region, weight in weights:
        scores[int(region)] = weight
    return scores


def lime_scorer(method: str) -> Callable[..., np.ndarray]:
    """The region-score function of a LIME method (both take the same arguments)."""
    from secam.lime_batched import lime_batched_region_scores

    scorers = {"lime": lime_region_scores, "lime-batched": lime_batched_region_scores}
    try:
        return scorers[method]
    except KeyError:
        raise ValueError(f"{method!r} is not a LIME method; one of {sorted(scorers)}") from None
