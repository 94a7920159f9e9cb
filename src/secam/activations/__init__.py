"""Block 1 of SeCAM and its baselines: class activation maps on the feature grid."""

from secam.activations.base import ActivationMaps, Capture, ClassActivationMapper
from secam.activations.maps import (
    CAM,
    SOURCES,
    GradCAM,
    GradCAMPlusPlus,
    GradientCAM,
    LayerCAM,
    ScoreCAM,
    make_mapper,
)
from secam.activations.shared import SharedPass

__all__ = [
    "CAM",
    "SOURCES",
    "ActivationMaps",
    "Capture",
    "ClassActivationMapper",
    "GradCAM",
    "GradCAMPlusPlus",
    "GradientCAM",
    "LayerCAM",
    "ScoreCAM",
    "SharedPass",
    "make_mapper",
]
