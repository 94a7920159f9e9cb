"""Find the layer to explain and decide which head path a model has.

Convolutional models: the target layer is the last 4-D feature map with more than one spatial
position that is not the output of a pooling layer.

Token models (ViT, DeiT): after a patch embedding with an h x w grid, the network carries
(N, T, C) tokens with T = p + h*w, p <= 2 prefix (class, distillation) tokens first. They are
explained at a token layer reshaped to (N, C, h, w): the last one whose patch tokens still reach
the output. After the last block only a per-token norm and the prefix tokens feed the head, so
the outputs of the last block get no gradient on their patch tokens; the rule lands on the last
block's first norm (torchvision ``encoder.layers[-1].ln_1``, timm ``blocks[-1].norm1``), the
layer pytorch-grad-cam uses for these models.

The head is a "CAM head" when the logits are exactly one linear layer applied to the spatial mean
of a 4-D target map (global average pooling + one linear layer); this is checked numerically on
two unlike probe inputs rather than guessed from class names, so any architecture is classified
by what it computes. Weights that make the scores constant across classes or inputs (a
zero-initialised classifier outputs its bias whatever it reads) prove nothing and give the
gradient path, as do all token models.

A model whose layer cannot be found with confidence is refused rather than explained at a wrong
layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from secam.errors import InputError

POOLING = (
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
    nn.LPPool2d,
)
MAX_PREFIX_TOKENS = 2  # class and distillation token
# A head match is evidence only if the weighted features vary by more than this fraction of
# their scale, across classes and across the probe inputs (ten times the matches' tolerance).
MIN_SPREAD = 1e-3
SET_TARGET_LAYER = (
    "set target_layer yourself (model_options.<model>.target_layer in the config, "
    "target_layer= in the API)"
)


class Record(NamedTuple):
    """One module call of the probe."""

    name: str
    module: nn.Module
    input: torch.Tensor | None  # the first positional argument, when a tensor
    output: torch.Tensor


@dataclass(frozen=True)
class HeadInfo:
    target_layer: str
    feature_shape: tuple[int, int, int]  # (channels, height, width)
    head_path: str  # "cam" or "gradient"
    classifier: str | None  # name of the linear layer of a CAM head
    classes: int  # logits per image, as the probe saw them
    # token models: the target layer outputs (N, token_prefix + h*w, C), prefix tokens first
    token_prefix: int | None = None

    def to_grid(self, output: torch.Tensor) -> torch.Tensor:
        """The target layer's output, or a gradient with respect to it, as (N, C, h, w)."""
        if self.token_prefix is None:
            return output
        _, height, width = self.feature_shape
        patches = output[:, self.token_prefix :]
        return patches.reshape(len(output), height, width, -1).permute(0, 3, 1, 2)


class _Target(NamedTuple):
    index: int  # into the probe's records
    token_prefix: int | None
    grid: tuple[int, int]


def _probe_input(input_size: tuple[int, int]) -> torch.Tensor:
    """White noise and a smooth, brighter pattern. Two white-noise images have nearly equal
    spatial means at any layer, which would leave the head test little to compare."""
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(1, 3, *input_size, generator=generator)
    coarse = torch.randn(1, 3, 4, 4, generator=generator)
    smooth = F.interpolate(coarse, size=input_size, mode="bilinear", align_corners=False)
    return torch.cat([noise, 2 * smooth + 1])


def _record_outputs(model: nn.Module, x: torch.Tensor) -> tuple[list[Record], torch.Tensor]:
    """Every named module call with a tensor output, in the order the calls finished, and the
    logits."""
    finished: list[Record] = []
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def hook(
            module: nn.Module, args: tuple[object, ...], output: object, name: str = name
        ) -> None:
            if isinstance(output, torch.Tensor):
                first = args[0] if args and isinstance(args[0], torch.Tensor) else None
                finished.append(Record(name, module, first, output))

        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            logits = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return finished, logits


def _is_spatial(output: torch.Tensor) -> bool:
    return output.dim() == 4 and output.shape[-1] * output.shape[-2] > 1


def _grid(output: torch.Tensor) -> tuple[int, int]:
    return int(output.shape[-2]), int(output.shape[-1])


def _fit_grid(tokens: int, grids: Iterable[tuple[int, int]]) -> tuple[int, tuple[int, int]] | None:
    """(prefix, grid) for the first grid that ``tokens`` fill after at most two prefix tokens."""
    for grid in grids:
        prefix = tokens - grid[0] * grid[1]
        if 0 <= prefix <= MAX_PREFIX_TOKENS:
            return prefix, grid
    return None


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
        x = _probe_input(input_size).to(_device_of(model))
        records, logits = _record_outputs(model, x)
        if logits.dim() != 2:
            raise InputError(
                f"the model returns a {tuple(logits.shape)} tensor, not (N, classes) logits"
            )
        if target_layer is None:
            target = _find_target(model, x, records, logits)
        else:
            target = _given_target(model, x, records, logits, target_layer)
        name, output = records[target.index].name, records[target.index].output
        if target.token_prefix is None:
            classifier = _matching_linear(records, output, logits)
            channels = output.shape[1]
        else:
            classifier = None  # a head reading tokens is never global average pooling of a map
            channels = output.shape[2]
    finally:
        model.train(was_training)
    return HeadInfo(
        name,
        (int(channels), *target.grid),
        "cam" if classifier else "gradient",
        classifier,
        int(logits.shape[1]),
        target.token_prefix,
    )


def _find_target(
    model: nn.Module, x: torch.Tensor, records: list[Record], logits: torch.Tensor
) -> _Target:
    pooled = {id(r.output) for r in records if isinstance(r.module, POOLING)}
    spatial = [
        i for i, r in enumerate(records) if _is_spatial(r.output) and id(r.output) not in pooled
    ]
    if not spatial:
        raise InputError(f"no 4-D feature map with spatial size > 1 found; {SET_TARGET_LAYER}")
    last = spatial[-1]
    tokens = [i for i in range(last + 1, len(records)) if records[i].output.dim() == 3]
    if not tokens:
        return _Target(last, None, _grid(records[last].output))
    return _find_token_target(model, x, records, logits, spatial, tokens[-1])


def _find_token_target(
    model: nn.Module,
    x: torch.Tensor,
    records: list[Record],
    logits: torch.Tensor,
    spatial: list[int],
    final: int,
) -> _Target:
    """The target among the outputs shaped like ``final``, the last tokens before the head.

    Their grid is that of the latest spatial map they fit (the patch embedding; maps inside
    attention, (N, heads, T, d), fit no token count). Only outputs after that map and as wide as
    the final tokens are candidates, so the wider query/key/value and MLP projections are not.
    """
    name, final_tokens = records[final].name, records[final].output
    for embedding in reversed(spatial):
        fit = _fit_grid(final_tokens.shape[1], [_grid(records[embedding].output)])
        if fit is not None:
            break
    else:
        raise InputError(
            f"{name!r} outputs {tuple(final_tokens.shape)} tokens after the last spatial feature "
            f"map, and they fit no patch grid after at most {MAX_PREFIX_TOKENS} prefix tokens; "
            f"{SET_TARGET_LAYER}"
        )
    prefix, grid = fit
    candidates = [
        i
        for i in range(embedding + 1, len(records))
        if records[i].output.shape == final_tokens.shape
    ]
    reaching = _patches_reaching_output(
        model, x, logits, [records[i].name for i in candidates], prefix
    )
    for i in reversed(candidates):
        if records[i].name in reaching:
            return _Target(i, prefix, grid)
    raise InputError(
        f"no token layer after {records[embedding].name!r} passes a gradient to its patch tokens "
        f"on the probe input; {SET_TARGET_LAYER}"
    )


def _given_target(
    model: nn.Module, x: torch.Tensor, records: list[Record], logits: torch.Tensor, name: str
) -> _Target:
    if name not in dict(model.named_modules()):
        raise InputError(f"target_layer {name!r} is not a module of this model")
    calls = [i for i, r in enumerate(records) if r.name == name]
    if not calls:
        raise InputError(f"target_layer {name!r} returned no tensor on the probe input")
    index = calls[-1]
    output = records[index].output
    if output.dim() == 4:
        return _Target(index, None, _grid(output))
    if output.dim() != 3:
        raise InputError(
            f"target_layer {name!r} outputs a {tuple(output.shape)} tensor, neither a 4-D "
            "feature map nor 3-D (N, tokens, channels) tokens"
        )
    tokens = output.shape[1]
    earlier_maps = [_grid(r.output) for r in reversed(records[:index]) if _is_spatial(r.output)]
    squares = [
        (s, s) for p in range(MAX_PREFIX_TOKENS + 1) if (s := math.isqrt(max(tokens - p, 0))) > 1
    ]
    fit = _fit_grid(tokens, [*earlier_maps, *squares])
    if fit is None:
        raise InputError(
            f"target_layer {name!r} outputs {tokens} tokens, which fill no patch grid (the "
            f"model's or a square one) after at most {MAX_PREFIX_TOKENS} prefix tokens"
        )
    prefix, grid = fit
    if name not in _patches_reaching_output(model, x, logits, [name], prefix):
        raise InputError(
            f"the patch tokens of target_layer {name!r} do not reach the logits (after the last "
            "block only the class token does); choose an earlier layer, such as the last "
            "block's first norm"
        )
    return _Target(index, prefix, grid)


def _patches_reaching_output(
    model: nn.Module, x: torch.Tensor, logits: torch.Tensor, names: list[str], prefix: int
) -> set[str]:
    """Those of ``names`` whose patch tokens (after ``prefix``) get a non-zero gradient.

    The gradient is that of a random mix of the logits and of the vectors the classifier reads
    (inputs of linear layers that output (N, classes)): with a zero-initialised classifier, as
    torchvision gives ViT, the logits alone would reach no token at all.
    """
    modules = dict(model.named_modules())
    outputs: dict[str, torch.Tensor] = {}
    read: list[torch.Tensor] = []

    def keep_output(name: str) -> Callable[[nn.Module, object, object], None]:
        def hook(module: nn.Module, args: object, output: object) -> None:
            if isinstance(output, torch.Tensor):
                outputs[name] = output  # the last call, as the capture sees it

        return hook

    def keep_input(module: nn.Module, args: tuple[object, ...], output: object) -> None:
        if isinstance(output, torch.Tensor) and output.shape == logits.shape:
            read.append(args[0])  # type: ignore[arg-type]

    classifiers = [m for m in modules.values() if isinstance(m, nn.Linear)]
    handles = [modules[n].register_forward_hook(keep_output(n)) for n in set(names)]
    handles += [m.register_forward_hook(keep_input) for m in classifiers]
    generator = torch.Generator().manual_seed(1)
    try:
        with torch.enable_grad():
            mixed = model(x.detach().requires_grad_(True))
            score = sum(
                (t * torch.randn(t.shape, generator=generator).to(t)).sum() for t in [mixed, *read]
            )
            wanted = [n for n in outputs if outputs[n].requires_grad]
            if not wanted or not score.requires_grad:
                return set()
            gradients = torch.autograd.grad(score, [outputs[n] for n in wanted], allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
    return {
        n
        for n, g in zip(wanted, gradients, strict=True)
        if g is not None and bool(g[:, prefix:].ne(0).any())
    }


def _matching_linear(
    records: list[Record], feature_map: torch.Tensor, logits: torch.Tensor
) -> str | None:
    """The linear layer that reads the spatial mean of ``feature_map`` and writes the logits.

    Its input and its output are compared with the pooled map and the logits, each at its own
    scale: in a randomly initialised network the logits can be the bias give or take a few
    millionths, too little to check the features through them. A head whose weights ignore the
    input or the class is refused: a zero-initialised classifier matches any layer's mean.
    """
    batch = len(logits)
    pooled = feature_map.mean(dim=(2, 3))
    for record in reversed(records):
        module, read = record.module, record.input
        if not isinstance(module, nn.Linear) or read is None:
            continue
        if read.numel() != pooled.numel() or record.output.numel() != logits.numel():
            continue
        if not (
            _close(read.reshape(batch, -1), pooled)
            and _close(record.output.reshape(batch, -1), logits)
        ):
            continue
        with torch.no_grad():
            if _varies(F.linear(pooled, module.weight)):
                return record.name
    return None


def _close(actual: torch.Tensor, expected: torch.Tensor) -> bool:
    scale = float(expected.abs().max())
    return actual.shape == expected.shape and torch.allclose(
        actual, expected, rtol=1e-4, atol=1e-4 * scale
    )


def _varies(scores: torch.Tensor) -> bool:
    """Whether (N, classes) scores differ across classes and across the probe inputs by more
    than ``MIN_SPREAD`` of their scale."""
    scale = float(scores.abs().max())
    across_classes = float((scores - scores.mean(dim=1, keepdim=True)).abs().max())
    across_inputs = float((scores - scores.mean(dim=0, keepdim=True)).abs().max())
    return min(across_classes, across_inputs) > MIN_SPREAD * scale
