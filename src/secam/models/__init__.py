"""Models: loading with their own preprocessing, and locating the layer to explain."""

from secam.models.checkpoints import UntrustedWeightsError
from secam.models.preprocessing import Preprocessing
from secam.models.registry import (
    LoadedModel,
    WeightsUnavailableError,
    available_models,
    load_model,
)

__all__ = [
    "LoadedModel",
    "Preprocessing",
    "UntrustedWeightsError",
    "WeightsUnavailableError",
    "available_models",
    "load_model",
]
