"""Every map a run needs from one pass through the model.

CAM, the gradient map, Grad-CAM, Grad-CAM++ and LayerCAM differ only in how they weigh the same
activations (and gradients). One forward, plus one backward when any of them needs gradients,
serves them all; Score-CAM adds its own masked forwards on top.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from secam.activations.base import Capture, ClassActivationMapper
from secam.activations.maps import CHANNEL_BATCH, make_mapper
from secam.models.registry import LoadedModel
from secam.timing import Stopwatch


class SharedPass:
    """Maps of several sources for a batch from one forward (and at most one backward)."""

    def __init__(
        self, model: LoadedModel, sources: Sequence[str], channel_batch: int = CHANNEL_BATCH
    ) -> None:
        if not sources:
            raise ValueError("SharedPass needs at least one map source")
        self.mappers: dict[str, ClassActivationMapper] = {
            source: make_mapper(model, source, channel_batch=channel_batch) for source in sources
        }
        self.needs_gradients = any(m.needs_gradients for m in self.mappers.values())

    def __call__(
        self,
        inputs: torch.Tensor,
        targets: Sequence[int] | torch.Tensor | None = None,
        watch: Stopwatch | None = None,
    ) -> tuple[Capture, dict[str, torch.Tensor]]:
        """The pass and each source's (N, h, w) maps.

        ``watch`` receives the laps ``forward``, ``backward`` (when a source needs gradients)
        and ``map:<source>``.
        """
        watch = watch or Stopwatch(inputs.device)
        first = next(iter(self.mappers.values()))
        capture = first.capture(inputs, targets, with_gradients=self.needs_gradients, watch=watch)
        maps = {}
        for source, mapper in self.mappers.items():
            with watch.lap(f"map:{source}"):
                maps[source] = mapper.maps_from(capture, inputs)
        return capture, maps
