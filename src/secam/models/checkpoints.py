"""Torchvision checkpoints from the torch hub cache, trusted only after checking.

torchvision's own loader (``WeightsEnum.get_state_dict`` -> ``torch.hub.load_state_dict_from_url``)
checks the hash only while downloading and unpickles an already cached file with
``weights_only=False``, so a file planted in the cache would run code. Here a cached file must
(1) have a SHA-256 that starts with the hash prefix in its file name, as torch checks a download,
and (2) load with ``torch.load(..., weights_only=True)``, which unpickles tensors and plain
containers only. The prefix is short (8 hex digits for torchvision, forgeable with effort), so (2)
is the guarantee against code execution; (1) catches wrong or damaged files.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
import torch.hub

from secam.artifacts import file_sha256
from secam.errors import SecamError


class WeightsUnavailableError(SecamError, RuntimeError):
    """Pretrained weights are not on this machine and cannot be downloaded."""


class UntrustedWeightsError(WeightsUnavailableError):
    """A cached weights file failed verification; it is refused, never unpickled freely."""


def cached_checkpoint(weights: Any) -> Path:
    """Where torch hub keeps ``weights``: ``$TORCH_HOME/hub/checkpoints/<basename of its URL>``.

    The one place this path is resolved (tests point it elsewhere).
    """
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(weights.url).path).name


def _what_to_do(file: Path, url: str | None) -> str:
    source = f"the genuine file from {url}" if url else "the genuine file"
    return (
        f"Delete {file} and place {source} there (download it on a machine with network and "
        "copy it; its SHA-256 must start with the hash in its file name)."
    )


def verify_hash_prefix(file: Path, url: str | None = None) -> str:
    """Check ``file``'s SHA-256 against the hash prefix in its name; return the digest."""
    match = torch.hub.HASH_REGEX.search(file.name)
    if match is None or not match.group(1):
        raise UntrustedWeightsError(
            f"refusing weights file {file}: its name carries no hash prefix "
            f"(pattern {torch.hub.HASH_REGEX.pattern!r}), so it cannot be verified. "
            + _what_to_do(file, url)
        )
    prefix = match.group(1)
    digest = file_sha256(file)
    if not digest.startswith(prefix):
        raise UntrustedWeightsError(
            f"refusing weights file {file}: its SHA-256 is {digest}, expected a digest "
            f"starting with {prefix} (the hash prefix in its file name); the file is not the "
            "published checkpoint. " + _what_to_do(file, url)
        )
    return digest


def _unpickler_reason(error: Exception) -> str:
    """torch's one line on what was refused, without its advice to load the file unsafely."""
    for line in str(error).splitlines():
        if "WeightsUnpickler error:" in line:
            return line.strip().split(" Please use ", 1)[0]
    return type(error).__name__


def load_checkpoint(file: Path, url: str | None = None) -> dict[str, Any]:
    """Verify ``file`` by its name's hash prefix, then load it on the CPU with weights_only."""
    file = Path(file)
    verify_hash_prefix(file, url)
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        reason = _unpickler_reason(error)
        raise UntrustedWeightsError(
            f"refusing weights file {file}: its hash prefix matches but "
            f"torch.load(weights_only=True) refused it ({reason}); it holds more than tensors "
            "and plain containers, and a checkpoint that needs full unpickling could run code. "
            + _what_to_do(file, url)
        ) from error
    if not isinstance(state, dict):
        raise UntrustedWeightsError(
            f"refusing weights file {file}: it holds a {type(state).__name__}, not a state "
            "dict. " + _what_to_do(file, url)
        )
    return state


@contextmanager
def serving_state_dict(weights: Any, state: dict[str, Any]) -> Iterator[None]:
    """While active, ``weights.get_state_dict(...)`` returns ``state`` instead of unpickling.

    torchvision builders take their weights-specific arguments (num_classes from the weights'
    meta, inception's transform_input and aux_logits, ...) from the weights and then call
    ``weights.get_state_dict(progress=..., check_hash=True)``, which would unpickle the cached file
    with ``weights_only=False``. Replacing that method on this weights' enum class only, for the
    duration of the build, keeps every builder's own arguments while the tensors come from our
    verified, weights_only load. Other members of the same enum still go through
    ``load_checkpoint``, never torchvision's loader.
    """
    enum_class = type(weights)
    own = enum_class.__dict__.get("get_state_dict")

    def get_state_dict(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if self is weights:
            return state
        file = cached_checkpoint(self)
        if not file.is_file():
            raise WeightsUnavailableError(f"weights {self} are not cached at {file}")
        return load_checkpoint(file, self.url)

    enum_class.get_state_dict = get_state_dict
    try:
        yield
    finally:
        if own is None:
            del enum_class.get_state_dict
        else:
            enum_class.get_state_dict = own
