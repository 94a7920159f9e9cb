"""Explain one image in memory: the public API for one's own images and models.

    >>> from secam import SeCAM
    >>> explainer = SeCAM(model)  # any image classifier nn.Module, or a loaded registry model
    >>> result = explainer(image, selection="top-k:3")  # (H, W, 3) uint8; top-1 class by default
    >>> result.map, result.region_scores, result.selected_regions, result.mask

Every method sits behind the same interface: :class:`SeCAM` (over the paper's map or another
CAM-family map), the heatmaps :class:`CAM`, :class:`GradCAM`, :class:`GradCAMPlusPlus`,
:class:`LayerCAM`, :class:`ScoreCAM`, and :class:`LIME` on the same superpixels. The workflow runs
the same blocks stage by stage with caches; :func:`explain_image` composes them for one image.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from secam.activations import make_mapper
from secam.activations.maps import CHANNEL_BATCH
from secam.classes import ClassList
from secam.config import default
from secam.errors import InputError
from secam.faithfulness import InsertionProbe
from secam.lime import lime_scorer, probability_fn
from secam.map_explanation import explain_map
from secam.methods import method_spec, secam_method
from secam.models.preprocessing import FACTORY_INPUT_SIZE, Preprocessing
from secam.models.registry import LoadedModel, wrap_model
from secam.segmentation import segment
from secam.selection import SHOWN, SHOWN_HEATMAP, Selection
from secam.timing import Stopwatch


def parse_class(text: str | int, classes: ClassList) -> int:
    """A class given as an index, a wnid or a label (any of its comma-separated synonyms)."""
    return classes.find(str(text))


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
    # (H, W) float: the signed Block-1 map at full resolution (SeCAM, heatmaps), or LIME's
    # region weights painted on their superpixels
    map: np.ndarray
    class_name: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def explain_image(
    model: LoadedModel,
    image: np.ndarray,
    method: str = "secam",
    selection: Selection | None = None,
    target: int | None = None,
    segmentation: dict[str, Any] | None = None,
    lime_options: dict[str, Any] | None = None,
    channel_batch: int = CHANNEL_BATCH,
) -> Explanation:
    """Explain one (H, W, 3) uint8 image; ``target`` None explains the top-1 class, and
    ``selection`` None selects :data:`~secam.selection.SHOWN` (a heatmap method:
    :data:`~secam.selection.SHOWN_HEATMAP`)."""
    spec = method_spec(method)
    if selection is None:
        selection = SHOWN_HEATMAP if spec.kind == "pixels" else SHOWN
    if spec.kind == "pixels" and selection.kind != "threshold":
        raise InputError(f"{method} thresholds a heatmap: use a threshold:F selection")
    if spec.kind == "lime" and selection.kind == "threshold":
        raise InputError("LIME selects superpixels by weight: use top-k:K, gap or sufficient:P")
    if not spec.applies_to(model.head_path):
        raise InputError(f"{method} needs a global-average-pooling + linear head")
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(f"expected an (H, W, 3) uint8 image, got {image.dtype} {image.shape}")
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    labels = segment(image, **(segmentation or {}))
    seconds["segmentation"] = time.perf_counter() - start

    with torch.no_grad():
        logits = model.module(model.preprocessing(image, model.device))
    probabilities = torch.softmax(logits[0].double(), dim=0).cpu().numpy()
    predicted = int(probabilities.argmax())
    target = predicted if target is None else int(target)
    if not 0 <= target < probabilities.size:
        raise InputError(f"class {target} out of range: the model has {probabilities.size}")

    watch = Stopwatch(model.device)
    source = None
    # sufficient:P runs the model on prefixes of the ranking (the others blurred)
    probe = InsertionProbe(probability_fn(model), image, labels, target)
    if spec.kind == "lime":
        options = lime_options or {}
        with watch.lap("forward"):
            scores = lime_scorer(method)(model, image, labels, target, **options)
        explained = explain_map(
            None,
            image.shape[:2],
            labels,
            "lime",
            [selection],
            region_scores=scores,
            watch=watch,
            probe=probe,
        )
    else:
        source = spec.resolved_source(model.head_path)
        mapper = make_mapper(model, source, channel_batch=channel_batch)
        with watch.lap("forward"):
            grid = mapper(model.preprocessing(image, model.device), [target]).maps[0]
        explained = explain_map(
            grid.cpu(),
            image.shape[:2],
            labels if spec.kind == "regions" else None,
            spec.kind,
            [selection],
            watch=watch,
            probe=probe,
        )
    (chosen,) = explained.selected
    seconds.update(watch.seconds)
    seconds["select"] = chosen.seconds
    seconds["total"] = sum(watch.seconds.values()) + chosen.seconds
    return Explanation(
        method,
        selection,
        predicted,
        probabilities,
        target,
        labels,
        np.asarray([] if explained.region_scores is None else explained.region_scores, np.float64),
        chosen.regions,
        chosen.truncated,
        chosen.mask,
        source,
        explained.heatmap if explained.full_map is None else explained.full_map.numpy(),
        model.classes.labels[target],
        seconds,
    )


class Explainer:
    """One explanation method bound to a model: ``explainer(image)`` -> :class:`Explanation`.

    ``model``: a :class:`LoadedModel` (see :func:`secam.load_model`) or any image classifier
    ``nn.Module`` mapping (N, 3, H, W) to (N, classes) logits, with its ``target_layer``
    (detected when None), ``classes`` (names in output order or a class-names file),
    ``input_size`` and ``preprocessing`` (default: ImageNet mean and std). ``segmentation``:
    the algorithm and parameters of :func:`secam.segmentation.segment` (default: the
    configuration schema's, SLIC).
    """

    method: ClassVar[str]
    # the method's own keyword arguments and their defaults (Score-CAM's channel batch, ...)
    option_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        model: nn.Module | LoadedModel,
        target_layer: str | None = None,
        *,
        classes: ClassList | Sequence[str] | str | Path | None = None,
        input_size: tuple[int, int] = FACTORY_INPUT_SIZE,
        preprocessing: Preprocessing | None = None,
        segmentation: dict[str, Any] | None = None,
        device: str | torch.device | None = None,
        **options: Any,
    ) -> None:
        unknown = set(options) - set(self.option_defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__} takes no option(s) {sorted(unknown)}")
        self.options = {**self.option_defaults, **options}
        if isinstance(model, LoadedModel):
            if target_layer is not None or classes is not None or preprocessing is not None:
                raise InputError(
                    "a loaded model carries its target layer, classes and preprocessing: "
                    "give them to load_model or wrap_model"
                )
            self.model = model
        else:
            self.model = wrap_model(
                model,
                name=type(model).__name__,
                input_size=input_size,
                preprocessing=preprocessing,
                target_layer=target_layer,
                classes=classes,
                device=device,
            )
        self.segmentation = dict(
            segmentation or {"algorithm": default("segmentation", "algorithm")}
        )

    def _options(self) -> dict[str, Any]:
        return {}

    def __call__(
        self,
        image: np.ndarray,
        target: int | str | None = None,
        selection: str | Selection | None = None,
    ) -> Explanation:
        """Explain ``target`` (index, wnid or class name; None: the top-1 class) in ``image``.

        ``selection``: anything :meth:`Selection.parse` reads (``top-k:K``, ``threshold:F``,
        ``gap``, ``sufficient:P``); None: :data:`secam.selection.SHOWN`, the three best
        regions, or for a heatmap :data:`secam.selection.SHOWN_HEATMAP`.
        """
        chosen = None if target is None else parse_class(target, self.model.classes)
        return explain_image(
            self.model,
            image,
            self.method,
            None if selection is None else Selection.parse(selection),
            chosen,
            segmentation=self.segmentation,
            **self._options(),
        )


class SeCAM(Explainer):
    """SeCAM: the Block-1 map averaged inside each superpixel (Eq. 4), best regions selected.

    ``source`` (keyword) "auto" is the paper's map (CAM on a global-average-pooling + linear
    head, the gradient map otherwise); another CAM-family source gives SeCAM over that map.
    """

    option_defaults: ClassVar[dict[str, Any]] = {"source": "auto"}

    @property
    def method(self) -> str:  # type: ignore[override]
        return secam_method(self.options["source"])


class _Heatmap(Explainer):
    """A CAM-family heatmap thresholded pixel by pixel (``threshold:F`` selections)."""


def _heatmap_method(name: str, method: str, summary: str) -> type[_Heatmap]:
    """A heatmap explainer class: nothing but its method's name differs."""
    return type(name, (_Heatmap,), {"method": method, "__doc__": summary, "__module__": __name__})


CAM = _heatmap_method(
    "CAM", "cam", "Class activation mapping (needs a global-average-pooling + linear head)."
)
GradCAM = _heatmap_method(
    "GradCAM", "gradcam", "Grad-CAM (Selvaraju et al.): channels weighted by their mean gradient."
)
GradCAMPlusPlus = _heatmap_method(
    "GradCAMPlusPlus", "gradcampp", "Grad-CAM++ (Chattopadhyay et al.), their Eq. 19 weights."
)
LayerCAM = _heatmap_method(
    "LayerCAM", "layercam", "LayerCAM (Jiang et al.): each position weighted by its gradient."
)


class ScoreCAM(_Heatmap):
    """Score-CAM; ``channel_batch`` (keyword) masked inputs per forward pass."""

    method = "scorecam"
    option_defaults: ClassVar[dict[str, Any]] = {"channel_batch": CHANNEL_BATCH}

    def _options(self) -> dict[str, Any]:
        return {"channel_batch": self.options["channel_batch"]}


class LIME(Explainer):
    """LIME (the ``lime`` package) on the same superpixels. Keywords: ``num_samples``, ``seed``,
    and ``batched``, which builds the perturbed images on the model's device instead (the same
    explanation, faster)."""

    option_defaults: ClassVar[dict[str, Any]] = {
        "num_samples": default("lime", "num_samples"),
        "seed": default("lime", "seed"),
        "batched": False,
    }

    @property
    def method(self) -> str:  # type: ignore[override]
        return "lime-batched" if self.options["batched"] else "lime"

    def _options(self) -> dict[str, Any]:
        return {"lime_options": {k: self.options[k] for k in ("num_samples", "seed")}}


__all__ = [
    "CAM",
    "LIME",
    "Explainer",
    "Explanation",
    "GradCAM",
    "GradCAMPlusPlus",
    "LayerCAM",
    "ScoreCAM",
    "SeCAM",
    "explain_image",
    "parse_class",
]
