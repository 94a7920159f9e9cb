"""SeCAM: Segmentation Class Activation Mapping, and its comparison with LIME, CAM and Grad-CAM.

    from secam import SeCAM
    result = SeCAM(model)(image)  # any image classifier nn.Module; image (H, W, 3) uint8

The explainers import torch on first use, so ``import secam`` alone stays light (the workflow's
report stages import the package without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public API: name -> the module that defines it, read on first use. ``__all__`` and the
# imports for type checkers below repeat these names, because tools read them literally;
# tests/test_package.py checks that the three lists agree.
_PUBLIC = {
    "CAM": "secam.explainers",
    "LIME": "secam.explainers",
    "Explainer": "secam.explainers",
    "Explanation": "secam.explainers",
    "GradCAM": "secam.explainers",
    "GradCAMPlusPlus": "secam.explainers",
    "LayerCAM": "secam.explainers",
    "ScoreCAM": "secam.explainers",
    "SeCAM": "secam.explainers",
    "explain_image": "secam.explainers",
    "ClassList": "secam.classes",
    "SecamError": "secam.errors",
    "LoadedModel": "secam.models.registry",
    "load_model": "secam.models.registry",
    "wrap_model": "secam.models.registry",
    "Preprocessing": "secam.models.preprocessing",
    "segment": "secam.segmentation",
}
__all__ = [
    "CAM",
    "LIME",
    "ClassList",
    "Explainer",
    "Explanation",
    "GradCAM",
    "GradCAMPlusPlus",
    "LayerCAM",
    "LoadedModel",
    "Preprocessing",
    "ScoreCAM",
    "SeCAM",
    "SecamError",
    "__version__",
    "explain_image",
    "load_model",
    "segment",
    "wrap_model",
]

if TYPE_CHECKING:
    from secam.classes import ClassList
    from secam.errors import SecamError
    from secam.explainers import (
        CAM,
        LIME,
        Explainer,
        Explanation,
        GradCAM,
        GradCAMPlusPlus,
        LayerCAM,
        ScoreCAM,
        SeCAM,
        explain_image,
    )
    from secam.models.preprocessing import Preprocessing
    from secam.models.registry import LoadedModel, load_model, wrap_model
    from secam.segmentation import segment


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'secam' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_PUBLIC[name]), name)
