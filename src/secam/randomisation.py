"""The model-parameter randomisation test (Adebayo et al., NeurIPS 2018, "Sanity Checks for
Saliency Maps"): an explanation that barely changes when the model's weights are randomised
explains the image, not the model.

- :func:`layer_cascade`: the model's parameterised layer groups from the output down: the head
  (every parameterised layer that runs after the target layer), then the blocks before it, last
  first. A block is an element of the network's outermost sequence of layers (a child of the
  shallowest ``nn.Sequential`` / ``nn.ModuleList`` holding parameterised layers: ResNet's
  ``layer4.1``, EfficientNet's ``_blocks.15``, ViT's ``encoder_layer_11``); a layer outside any
  such sequence is a block of its own (InceptionV3's ``Mixed_7c``, EfficientNet's
  ``_conv_head``), and a normalisation layer joins the layer it follows (``_conv_head`` with
  ``_bn1``). Layers the forward pass never calls (InceptionV3's auxiliary head in eval mode) are
  left out. The order is found by running one probe input, so any architecture is handled.
- :func:`randomised`: a context manager that randomises the top ``depth`` groups (cascading, as
  Adebayo et al.) and restores the model bit for bit on exit, also after an exception.
  Randomisation mirrors Quantus's ``ModelParameterRandomisation``: each layer's own
  ``reset_parameters()`` (PyTorch's initialisation; a batch norm returns to weight 1, bias 0 and
  fresh running statistics) under ``torch.manual_seed(seed + 1)``, the same seed for every layer
  as in Quantus, so a layer gets the weights Quantus gives it with the same ``seed`` (on the same
  device: CPU and CUDA draw from different generators). The global random state is left as it
  was. A layer without ``reset_parameters`` gets normal draws with the spread of its trained
  tensor (mean 0, the tensor's standard deviation), from the same seed. Quantus steps one layer
  at a time; a step here is a whole block, as Adebayo et al. stepped through Inception v3's
  blocks.
- Similarities between the trained model's explanation and a randomised one: :func:`spearman`
  (of region scores for region methods, SeCAM and LIME; of the full-resolution maps for heatmap
  methods, CAM and Grad-CAM, as Quantus compares attributions at the input's resolution) and
  :func:`mask_iou` of the selected masks.
- :func:`verdict`: see :data:`SPEARMAN_BOUND`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats
from torch import nn

from secam.statistics import Interval

# A method "changes with the model" when, after randomising the head and the last block
# (VERDICT_DEPTH), the 95 % bootstrap CI of its mean Spearman correlation with the trained
# model's explanation lies entirely below SPEARMAN_BOUND; it "does not change with the model"
# when the CI lies entirely above; otherwise the test is "unclear".
SPEARMAN_BOUND = 0.5
VERDICT_DEPTH = 2
CHANGES = "changes with the model"
DOES_NOT_CHANGE = "does not change with the model"
UNCLEAR = "unclear"

HEAD = "head"
CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
NORMALISATIONS = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
)


@dataclass(frozen=True)
class LayerGroup:
    """One step of the cascade: its name and the modules (by dotted name) that own its
    parameters."""

    name: str
    modules: tuple[str, ...]


def _owns_parameters(module: nn.Module) -> bool:
    return next(module.parameters(recurse=False), None) is not None


def _call_order(model: nn.Module, probe: torch.Tensor) -> tuple[dict[str, int], dict[str, int]]:
    """(start, end) position of every named module's first call in one forward of ``probe``,
    on one shared counter."""
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    handles = []
    for name, module in model.named_modules():

        def pre(module: nn.Module, args: object, name: str = name) -> None:
            starts.setdefault(name, len(starts) + len(ends))

        def post(module: nn.Module, args: object, output: object, name: str = name) -> None:
            ends.setdefault(name, len(starts) + len(ends))

        handles += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(probe)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return starts, ends


def _block_of(name: str, modules: dict[str, nn.Module], base: str) -> str:
    """The block an owner ``name`` belongs to (see the module docstring), below ``base``."""
    parts = name.split(".")
    depth = len(base.split(".")) if base else 0
    path = [".".join(parts[:i]) for i in range(depth, len(parts) + 1)]  # base ... name
    for i, ancestor in enumerate(path[:-1]):
        if isinstance(modules[ancestor], CONTAINERS):
            block = path[i + 1]
            # a sequence of sequences (Swin's stages): its elements are the blocks
            while isinstance(modules[block], CONTAINERS) and block != name:
                block = path[path.index(block) + 1]
            return block
    return path[1] if len(path) > 1 else name


def layer_cascade(model: nn.Module, target_layer: str, probe: torch.Tensor) -> list[LayerGroup]:
    """The model's parameterised layer groups from the output down: ``head`` first, then the
    blocks before the target layer, last first (see the module docstring).

    ``probe`` is one input batch the model accepts (on its device); it only fixes the order in
    which the layers run.
    """
    modules = dict(model.named_modules())  # first name of a module shared under two names
    if target_layer not in modules:
        raise ValueError(f"no module {target_layer!r} in the model")
    starts, ends = _call_order(model, probe)
    owners = [n for n, m in modules.items() if _owns_parameters(m) and n in starts]
    # unwrap pass-through wrappers (EfficientNetLiteClassifier -> network): the first module
    # under which the parameterised layers split
    base = ""
    while base not in owners:
        prefix = f"{base}." if base else ""
        below = {o.removeprefix(prefix).split(".")[0] for o in owners}
        if len(below) != 1:
            break
        base = prefix + below.pop()
    target_end = ends[target_layer]
    head = [o for o in owners if starts[o] > target_end]
    blocks: dict[str, list[str]] = {}
    for owner in owners:
        if owner not in head:
            blocks.setdefault(_block_of(owner, modules, base), []).append(owner)
    ordered = sorted(blocks, key=lambda b: max(starts[o] for o in blocks[b]))
    groups: list[LayerGroup] = []
    for block in ordered:
        members = tuple(blocks[block])
        # a normalisation layer on its own belongs to the layer it normalises
        if (
            groups
            and members == (block,)
            and isinstance(modules[block], NORMALISATIONS)
            and groups[-1].modules == (groups[-1].name,)
        ):
            previous = groups.pop()
            groups.append(LayerGroup(f"{previous.name}+{block}", (previous.name, block)))
            continue
        groups.append(LayerGroup(block or "(model)", members))
    cascade = [LayerGroup(HEAD, tuple(head))] if head else []
    return cascade + groups[::-1]


def loaded_model_cascade(model: object) -> list[LayerGroup]:
    """:func:`layer_cascade` of a :class:`secam.models.registry.LoadedModel`, probed with one
    blank image of its input size."""
    from secam.models.registry import LoadedModel

    assert isinstance(model, LoadedModel)
    probe = torch.zeros(1, 3, *model.preprocessing.input_size, device=model.device)
    return layer_cascade(model.module, model.target_layer, probe)


def _reset(module: nn.Module, seed: int) -> None:
    """Quantus's randomisation of one layer (see the module docstring)."""
    torch.manual_seed(seed + 1)
    reset = getattr(module, "reset_parameters", None)
    if callable(reset):
        reset()
        return
    with torch.no_grad():
        for parameter in module.parameters(recurse=False):
            spread = float(parameter.std()) if parameter.numel() > 1 else 1.0
            parameter.normal_(0.0, spread if np.isfinite(spread) and spread > 0 else 1.0)


@contextmanager
def randomised(
    model: nn.Module, groups: Sequence[LayerGroup], depth: int, seed: int
) -> Iterator[nn.Module]:
    """``model`` with the first ``depth`` groups of the cascade ``groups`` randomised (seeded:
    the same seed gives the same weights); every parameter and buffer of those layers is
    restored exactly on exit, also after an exception. ``depth`` 0 leaves the model as it is."""
    if not 0 <= depth <= len(groups):
        raise ValueError(f"depth {depth} outside 0..{len(groups)} (the cascade's length)")
    modules = dict(model.named_modules())
    names = [name for group in groups[:depth] for name in group.modules]
    saved = {
        (name, kind, key): tensor.detach().clone()
        for name in names
        for kind, tensors in (
            ("parameter", modules[name].named_parameters(recurse=False)),
            ("buffer", modules[name].named_buffers(recurse=False)),
        )
        for key, tensor in tensors
    }
    devices = sorted({t.device.index or 0 for t in saved.values() if t.device.type == "cuda"})
    try:
        with torch.random.fork_rng(devices=devices):
            for name in names:
                _reset(modules[name], seed)
        yield model
    finally:
        with torch.no_grad():
            for (name, kind, key), tensor in saved.items():
                owner = modules[name]
                current = getattr(owner, key)
                if current is None or current.shape != tensor.shape:
                    setattr(owner, key, nn.Parameter(tensor) if kind == "parameter" else tensor)
                else:
                    current.copy_(tensor)


def spearman(trained: np.ndarray, randomised: np.ndarray) -> float:
    """Spearman rank correlation of two explanations of one image (flattened).

    A constant explanation has no ranking: two constant ones count as identical (1), one
    constant and one not as unrelated (0), rather than the undefined NaN.
    """
    a = np.asarray(trained, dtype=np.float64).ravel()
    b = np.asarray(randomised, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"explanations of different sizes: {a.shape} and {b.shape}")
    flat_a, flat_b = bool(np.all(a == a[0])), bool(np.all(b == b[0]))
    if flat_a or flat_b:
        return 1.0 if flat_a and flat_b else 0.0
    return float(stats.spearmanr(a, b).statistic)


def mask_iou(trained: np.ndarray, randomised: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1 when both are empty)."""
    a, b = np.asarray(trained, dtype=bool), np.asarray(randomised, dtype=bool)
    union = int(np.count_nonzero(a | b))
    return 1.0 if union == 0 else int(np.count_nonzero(a & b)) / union


def verdict(interval: Interval, bound: float = SPEARMAN_BOUND) -> str:
    """The test's outcome from the 95 % bootstrap CI of the mean Spearman correlation at
    :data:`VERDICT_DEPTH`: :data:`CHANGES` when its upper end is below ``bound``,
    :data:`DOES_NOT_CHANGE` when its lower end is above, :data:`UNCLEAR` otherwise, and with
    fewer than two images (one image has no interval)."""
    if interval.n < 2 or not np.isfinite(interval.low):
        return UNCLEAR
    if interval.high < bound:
        return CHANGES
    if interval.low > bound:
        return DOES_NOT_CHANGE
    return UNCLEAR
