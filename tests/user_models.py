"""A researcher's own classifier, importable as ``tests.user_models:tiny_classifier``: not from
torchvision, not the embedded model, ten classes of its own."""

from __future__ import annotations

import torch
from torch import nn

CLASS_NAMES = [f"shape {i}" for i in range(10)]


class TinyClassifier(nn.Module):
    """Two strided convolutions, global average pooling and one linear layer (a CAM head)."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def tiny_classifier() -> nn.Module:
    """The factory a config names: seeded, so every call builds the same weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        return TinyClassifier()
