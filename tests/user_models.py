"""A researcher's own classifier, importable as ``tests.user_models:tiny_classifier``: not from
torchvision, not the embedded model, ten classes of its own."""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch
from torch import nn

CLASS_NAMES = [f"shape {i}" for i in range(10)]
# Seconds slow_loading_classifier takes to load, read by each job from its environment (a SLURM
# job inherits the submitting process's): the SLURM tests time a job to its limit with it.
LOAD_SECONDS_VARIABLE = "SECAM_TEST_MODEL_LOAD_SECONDS"


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


def slow_loading_classifier() -> nn.Module:
    """:func:`tiny_classifier`, as slow to load as a large checkpoint on a busy network file
    system: it sleeps ``$SECAM_TEST_MODEL_LOAD_SECONDS`` first. Sleep, not work, so that the
    job's length does not depend on what else runs on the cores."""
    time.sleep(float(os.environ.get(LOAD_SECONDS_VARIABLE, "0")))
    return tiny_classifier()


class CodeRunningPickle:
    """Unpickling this creates ``marker``: a stand-in for any code a pickle can run. A file
    marker, so that a test sees it whether the pickle was loaded in its process or another."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def plant_code_running_weights(file: Path, marker: Path) -> Path:
    """Write ``file`` as a weights file that would create ``marker`` if unpickled freely."""
    file.parent.mkdir(parents=True, exist_ok=True)
    torch.save(CodeRunningPickle(marker), file)
    return file
