"""Find the layer to explain and decide which head path a model has.

The target layer is the last 4-D feature map with more than one spatial position that is not the
output of a pooling layer. The head is a "CAM head" when the logits are exactly one linear layer
applied to the spatial mean of that map (global average pooling + one linear layer); this is
checked numerically on a probe input rather than guessed from class names, so any architecture
is classified by what it computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

POOLING = (
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
    nn.LPPool2d,
)


@dataclass(frozen=True)
class HeadInfo:
    target_layer: str
    feature_shape: tuple[int, int, int]  # (channels, height, width)
    head_path: str  # "cam" or "gradient"
    classifier: str | None  # name of the linear layer of a CAM head


def _probe_input(input_size: tuple[int, int]) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(2, 3, *input_size, generator=generator)


def _record_outputs(
    model: nn.Module, x: torch.Tensor
) -> tuple[list[tuple[str, nn.Module, torch.Tensor]], torch.Tensor]:
    finished: list[tuple[str, nn.Module, torch.Tensor]] = []
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def hook(module: nn.Module, args: object, output: object, name: str = name) -> None:
            if isinstance(output, torch.Tensor):
                finished.append((name, module, output))

        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            logits = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return finished, logits


def find_target_layer(model: nn.Module, input_size: tuple[int, int]) -> str:
    """Name of the module that outputs the last spatial feature map before pooling/flatten."""
    records, _ = _record_outputs(model, _probe_input(input_size).to(_device_of(model)))
    pooled = {id(out) for _, module, out in records if isinstance(module, POOLING)}
    for name, _, output in reversed(records):
        spatial = output.dim() == 4 and output.shape[-1] * output.shape[-2] > 1
        if spatial and id(output) not in pooled:
            return name
    raise ValueError("no 4-D feature map with spatial size > 1 found; set target_layer in config")


def _device_of(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def inspect_head(
    model: nn.Module, input_size: tuple[int, int], target_layer: str | None = None
) -> HeadInfo:
    """Locate the target layer (unless given) and classify the head."""
    was_training = model.training
    model.eval()
    try:
        name = target_layer or find_target_layer(model, input_size)
        modules = dict(model.named_modules())
        if name not in modules:
            raise ValueError(f"target_layer {name!r} is not a module of this model")
        x = _probe_input(input_size).to(_device_of(model))
        records, logits = _record_outputs(model, x)
        features = [out for n, _, out in records if n == name]
        if not features or features[-1].dim() != 4:
            raise ValueError(f"target_layer {name!r} does not output a 4-D feature map")
        feature_map = features[-1]
        shape = tuple(int(v) for v in feature_map.shape[1:])
        classifier = _matching_linear(modules, feature_map, logits)
    finally:
        model.train(was_training)
    return HeadInfo(name, shape, "cam" if classifier else "gradient", classifier)  # type: ignore[arg-type]


def _matching_linear(
    modules: dict[str, nn.Module], feature_map: torch.Tensor, logits: torch.Tensor
) -> str | None:
    pooled = feature_map.mean(dim=(2, 3))
    for name, module in reversed(list(modules.items())):
        if not isinstance(module, nn.Linear) or module.in_features != pooled.shape[1]:
            continue
        if module.out_features != logits.shape[1]:
            continue
        with torch.no_grad():
            expected = module(pooled)
        scale = float(logits.abs().max()) + 1e-12
        if torch.allclose(expected, logits, rtol=1e-4, atol=1e-4 * scale):
            return name
    return None
