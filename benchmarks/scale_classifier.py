"""The classifier of the scale benchmark, loaded through the documented own-model path
(``model_options: {factory: scale_classifier:tiny_imagenet_classifier, classes: ...}``).

Two strided convolutions, global average pooling and one linear layer to the 1000 ImageNet
classes: a CAM head, so every method runs, at a small fraction of a real model's cost, so
that the workflow's own cost (jobs, merges, tables, report) is what the benchmark measures.
Seeded: every job builds the same weights.
"""

from __future__ import annotations

import torch
from torch import nn

INPUT_SIZE = (112, 112)


def tiny_imagenet_classifier() -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(32, 1000),
        )
