"""Block 1 of SeCAM and its baselines: class activation maps on the feature grid."""

from secam.activations.base import ActivationMaps, ClassActivationMapper
from secam.activations.methods import CAM, GradCAM, GradientCAM, secam_source_for

__all__ = [
    "CAM",
    "ActivationMaps",
    "ClassActivationMapper",
    "GradCAM",
    "GradientCAM",
    "secam_source_for",
]
