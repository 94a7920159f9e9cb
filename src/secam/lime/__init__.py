"""LIME on SeCAM's superpixels: the reference ``lime`` package (``lime``) and the same
explanation with the perturbed images built on the model's device (``lime-batched``)."""

from __future__ import annotations

from secam.errors import InputError
from secam.lime.batched import lime_batched_region_scores
from secam.lime.classifier import RegionScorer, probability_fn
from secam.lime.reference import lime_region_scores

SCORERS: dict[str, RegionScorer] = {
    "lime": lime_region_scores,
    "lime-batched": lime_batched_region_scores,
}


def lime_scorer(method: str) -> RegionScorer:
    """The region scorer of a LIME method."""
    try:
        return SCORERS[method]
    except KeyError:
        raise InputError(f"{method!r} is not a LIME method; one of {sorted(SCORERS)}") from None


__all__ = [
    "SCORERS",
    "RegionScorer",
    "lime_batched_region_scores",
    "lime_region_scores",
    "lime_scorer",
    "probability_fn",
]
