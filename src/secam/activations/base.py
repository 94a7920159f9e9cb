"""One base class for the CAM family; it owns the hook's lifetime, subclasses only the maps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from secam.models.registry import LoadedModel
from secam.timing import Stopwatch


@dataclass
class ActivationMaps:
    """Maps on the feature grid for a batch, with the forward pass that produced them."""

    maps: torch.Tensor  # (N, h, w), float32, on the model's device
    logits: torch.Tensor  # (N, classes)
    targets: torch.Tensor  # (N,) class explained for each image


@dataclass
class Capture:
    """What one pass through the model leaves: the target layer's activations, their gradients
    with respect to each image's target logit (None without a backward), logits and targets."""

    activations: torch.Tensor  # (N, K, h, w), detached
    gradients: torch.Tensor | None  # (N, K, h, w)
    logits: torch.Tensor  # (N, classes), detached
    targets: torch.Tensor  # (N,)


class ClassActivationMapper(ABC):
    """Forward (and, where needed, backward) through a model, capturing the target layer.

    The forward hook exists only inside :meth:`_capture`, which removes it even when the
    computation raises; :meth:`_eval_mode` likewise restores the model's train/eval state.
    """

    needs_gradients: bool = False

    def __init__(self, model: LoadedModel) -> None:
        self.model = model
        self._layer: nn.Module = dict(model.module.named_modules())[model.target_layer]

    @contextmanager
    def _eval_mode(self) -> Iterator[None]:
        network = self.model.module
        was_training = network.training
        network.eval()
        try:
            yield
        finally:
            network.train(was_training)

    @contextmanager
    def _capture(self) -> Iterator[list[torch.Tensor]]:
        """The target layer's outputs while the block runs; the hook is removed on exit."""
        captured: list[torch.Tensor] = []

        def hook(module: nn.Module, args: object, output: torch.Tensor) -> None:
            captured.append(output)

        handle = self._layer.register_forward_hook(hook)
        try:
            yield captured
        finally:
            handle.remove()

    def capture(
        self,
        inputs: torch.Tensor,
        targets: Sequence[int] | torch.Tensor | None = None,
        with_gradients: bool | None = None,
        watch: Stopwatch | None = None,
    ) -> Capture:
        """One forward (and, with gradients, one backward) pass through the model.

        ``targets`` None takes each image's top-1 class. ``with_gradients`` defaults to what this
        mapper needs; ``watch`` times the ``forward`` and ``backward`` laps.
        """
        watch = watch or Stopwatch(inputs.device)
        with_gradients = self.needs_gradients if with_gradients is None else with_gradients
        with self._eval_mode():
            with self._capture() as captured, torch.set_grad_enabled(with_gradients):
                with watch.lap("forward"):
                    logits = self.model.module(inputs)
                if not captured:
                    raise RuntimeError(f"target layer {self.model.target_layer!r} was not called")
                activations = captured[-1]
                if targets is None:
                    chosen = logits.argmax(dim=1)
                else:
                    chosen = torch.as_tensor(targets, device=logits.device, dtype=torch.long)
                gradients = None
                if with_gradients:
                    # Samples are independent in eval mode, so the gradient of the sum of each
                    # sample's target logit gives every sample its own gradient in one backward.
                    with watch.lap("backward"):
                        selected = logits.gather(1, chosen[:, None]).sum()
                        (gradients,) = torch.autograd.grad(selected, activations)
                    gradients = self.model.head.to_grid(gradients)
        # token models: the hooked (N, T, C) tokens, and their gradient, as (N, C, h, w) maps
        activations = self.model.head.to_grid(activations.detach())
        return Capture(activations, gradients, logits.detach(), chosen)

    def maps_from(self, capture: Capture, inputs: torch.Tensor) -> torch.Tensor:
        """(N, h, w) float32 maps of a captured pass (Score-CAM runs its own forwards here)."""
        if self.needs_gradients and capture.gradients is None:
            raise ValueError(f"{type(self).__name__} needs a pass captured with gradients")
        gradients = capture.gradients if self.needs_gradients else None
        with self._eval_mode(), torch.no_grad():
            maps = self.compute_maps(capture.activations, gradients, capture.targets, inputs)
        return maps.detach().float()

    def __call__(
        self, inputs: torch.Tensor, targets: Sequence[int] | torch.Tensor | None = None
    ) -> ActivationMaps:
        """Maps for ``inputs`` (N, 3, H, W); ``targets`` None explains each top-1 class."""
        capture = self.capture(inputs, targets)
        return ActivationMaps(self.maps_from(capture, inputs), capture.logits, capture.targets)

    @abstractmethod
    def compute_maps(
        self,
        activations: torch.Tensor,
        gradients: torch.Tensor | None,
        targets: torch.Tensor,
        inputs: torch.Tensor,
    ) -> torch.Tensor:
        """(N, K, h, w) activations [+ gradients] -> (N, h, w) maps (no hook is active)."""
