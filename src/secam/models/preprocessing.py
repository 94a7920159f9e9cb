"""Each model carries its own preprocessing: size and normalisation of its training."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from secam.config import default

# the input size of a factory model (model_options.*.input_size), which has no size of its own
FACTORY_INPUT_SIZE: tuple[int, int] = tuple(default("model_options", "factory", "input_size"))


@dataclass(frozen=True)
class Preprocessing:
    """Resize the whole image (no crop) to ``input_size`` and normalise.

    ``mean`` and ``std`` are in 0-255 pixel units, so both the TensorFlow convention
    ((x - 127) / 128) and torchvision's (x / 255 - mean) / std are expressed exactly.
    """

    input_size: tuple[int, int]  # (height, width)
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @classmethod
    def imagenet(cls, input_size: tuple[int, int] = FACTORY_INPUT_SIZE) -> Preprocessing:
        mean = (0.485, 0.456, 0.406)
        std = (0.229, 0.224, 0.225)
        return cls.from_unit_range(input_size, mean, std)

    @classmethod
    def from_unit_range(
        cls,
        input_size: tuple[int, int],
        mean: Sequence[float],
        std: Sequence[float],
    ) -> Preprocessing:
        """From a torchvision-style normalisation defined on [0, 1] pixels."""
        m = tuple(float(v) * 255.0 for v in mean)
        s = tuple(float(v) * 255.0 for v in std)
        return cls(input_size, m, s)  # type: ignore[arg-type]

    def __call__(
        self,
        images: np.ndarray | Sequence[np.ndarray],
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """(H, W, 3) uint8 image(s) -> normalised (N, 3, h, w) float32 tensor on ``device``.

        Images of different sizes may be mixed; each is resized on its own.
        """
        if isinstance(images, np.ndarray) and images.ndim == 3:
            images = [images]
        batches = []
        if isinstance(images, np.ndarray) and images.ndim == 4:
            batches.append(images)
        else:
            batches.extend(image[None] for image in images)
        resized = []
        for batch in batches:
            tensor = torch.from_numpy(np.require(batch, np.uint8, ["C", "W"])).to(device)
            resized.append(self.resize(tensor.permute(0, 3, 1, 2).to(torch.float32)))
        return self.normalize(torch.cat(resized))

    def resize(self, pixels: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) float 0-255 pixels -> (N, 3, h, w) at the input size (linear in pixels)."""
        if tuple(pixels.shape[-2:]) == self.input_size:
            return pixels
        # antialias: a plain bilinear downsample of a 500-px photo aliases badly.
        return F.interpolate(
            pixels, size=self.input_size, mode="bilinear", align_corners=False, antialias=True
        )

    def normalize(self, pixels: torch.Tensor) -> torch.Tensor:
        """Resized 0-255 pixels -> the model's input."""
        mean = torch.tensor(self.mean, device=pixels.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=pixels.device).view(1, 3, 1, 1)
        return (pixels - mean) / std
