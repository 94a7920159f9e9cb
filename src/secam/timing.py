"""Wall-clock timing that waits for the device, so GPU work is counted where it happens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Stopwatch:
    """``with watch.lap("forward"): ...`` accumulates seconds per component."""

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.seconds: dict[str, float] = {}

    @contextmanager
    def lap(self, component: str) -> Iterator[None]:
        synchronize(self.device)
        start = time.perf_counter()
        try:
            yield
        finally:
            synchronize(self.device)
            elapsed = time.perf_counter() - start
            self.seconds[component] = self.seconds.get(component, 0.0) + elapsed

    def __getitem__(self, component: str) -> float:
        return self.seconds.get(component, 0.0)
