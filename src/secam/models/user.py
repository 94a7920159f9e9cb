"""A researcher's own classifier: built by ``package.module:factory``, with optional local weights.

The factory is any importable callable that takes no argument and returns an ``nn.Module``
mapping (N, 3, H, W) images to (N, classes) logits. A weights file is a state dict saved with
``torch.save(model.state_dict(), path)``; it is loaded with ``weights_only=True``, which
unpickles tensors and plain containers only, so a file that would run code is refused.
"""

from __future__ import annotations

import importlib
import pickle
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from secam.errors import InputError
from secam.models.checkpoints import UntrustedWeightsError

FACTORY_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def is_factory(spec: str) -> bool:
    """Whether ``spec`` names a factory (``package.module:function``), not a registry model."""
    return bool(FACTORY_PATTERN.match(spec))


def import_factory(spec: str) -> Callable[[], nn.Module]:
    """The callable ``spec`` = ``package.module:function`` names.

    The module is imported from the Python path or, failing that, from the working directory,
    so a researcher's ``mynets.py`` beside the config works without installing it.
    """
    if not is_factory(spec):
        raise InputError(f"model factory {spec!r}: write it as package.module:function")
    module_name, function_name = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is None or not module_name.startswith(error.name):
            raise  # the module exists; something it imports is missing
        cwd = str(Path.cwd())
        if cwd in sys.path:
            raise InputError(f"model factory {spec!r}: cannot import {module_name}") from None
        sys.path.append(cwd)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            raise InputError(
                f"model factory {spec!r}: cannot import {module_name} from the Python path or "
                f"from {cwd}"
            ) from None
        finally:
            sys.path.remove(cwd)
    factory = getattr(module, function_name, None)
    if not callable(factory):
        raise InputError(f"model factory {spec!r}: {module_name} has no callable {function_name}")
    return factory


def load_state_file(path: str | Path) -> dict[str, Any]:
    """A local state dict, loaded on the CPU with ``weights_only=True``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"weights file {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UntrustedWeightsError(
            f"refusing weights file {path}: torch.load(weights_only=True) refused it; it holds "
            "more than tensors and plain containers, and unpickling it fully could run code. "
            "Save the weights with torch.save(model.state_dict(), path)."
        ) from error
    if not isinstance(state, dict):
        raise UntrustedWeightsError(
            f"refusing weights file {path}: it holds a {type(state).__name__}, not a state dict"
        )
    return state


def build_user_model(factory: str, weights: str | Path | None = None) -> nn.Module:
    """The factory's model, with the weights file's state dict loaded strictly when given."""
    module = import_factory(factory)()
    if not isinstance(module, nn.Module):
        raise InputError(f"model factory {factory!r} returned a {type(module).__name__}")
    if weights is not None:
        state = load_state_file(weights)
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as error:  # missing, unexpected or misshapen tensors
            reason = " ".join(str(error).split())
            raise InputError(
                f"weights file {weights} does not fit model factory {factory!r}: {reason}"
            ) from None
    return module
