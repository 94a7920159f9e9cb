"""LIME with the reference ``lime`` package, on the same superpixels as SeCAM."""

from __future__ import annotations

from typing import Any

import numpy as np
from lime import lime_image

from secam.config import default
from secam.lime.classifier import probability_fn, scores_by_region
from secam.models.registry import LoadedModel
from secam.timing import Stopwatch


def lime_region_scores(
    model: LoadedModel,
    image: np.ndarray,
    segments: np.ndarray,
    target: int,
    num_samples: int = default("lime", "num_samples"),
    seed: int = default("lime", "seed"),
    batch_size: int = default("lime", "batch_size")["cpu"],
    kernel_width: float = default("lime", "kernel_width"),
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
