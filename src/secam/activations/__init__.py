"""Block 1 of SeCAM and its baselines: class activation maps on the feature grid."""

from secam.activations.base import ActivationMaps, Capture, ClassActivationMapper
from secam.activations.maps import (
    SOURCES,
    CAMMapper,
    GradCAMMapper,
    GradCAMPlusPlusMapper,
    GradientMapper,
    LayerCAMMapper,
    ScoreCAMMapper,
    make_mapper,
)
from secam.activations.shared import SharedPass

__all__ = [
    "SOURCES",
    "ActivationMaps",
    "CAMMapper",
    "Capture",
    "ClassActivationMapper",
    "GradCAMMapper",
    "GradCAMPlusPlusMapper",
    "GradientMapper",
    "LayerCAMMapper",
    "ScoreCAMMapper",
    "SharedPass",
    "make_mapper",
]
