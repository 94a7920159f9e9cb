"""Helpers shared by the stages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from secam.artifacts import read_table

if TYPE_CHECKING:
    from secam.models.registry import LoadedModel


def shard_rows(manifest_path: str | Path, shard: str) -> pd.DataFrame:
    manifest = read_table(manifest_path, "manifest")
    return manifest[manifest["shard"] == shard].sort_values("image_id").reset_index(drop=True)


def load_configured_model(name: str, config: dict[str, Any], threads: int = 1) -> LoadedModel:
    # torch is imported here, not at module level: the stages without a model (segment,
    # evaluate, report) then start in under a second instead of paying torch's import.
    import torch

    from secam.models.registry import load_model

    torch.set_num_threads(max(1, int(threads)))
    options = config["model_options"].get(name, {})
    factory = options.get("factory")
    return load_model(
        name,
        weights=options.get("weights", None if factory else "DEFAULT"),
        target_layer=options.get("target_layer"),
        device=config["device"],
        factory=factory,
        classes=options.get("classes"),
        **({"input_size": tuple(options["input_size"])} if factory else {}),
    )


def batch_size_for(setting: int | dict[str, int], device_type: str) -> int:
    """A config batch size: one integer, or one per device type (``{cpu: 4, cuda: 64}``).

    A device type the mapping does not name (``mps``) takes the ``cpu`` size.
    """
    if isinstance(setting, dict):
        return int(setting.get(device_type, setting["cpu"]))
    return int(setting)


def lime_subset(
    image_ids: Sequence[str], max_images: int | None, seed: int, limit: int | None = None
) -> set[str]:
    """The images LIME explains: all, or ``max_images`` drawn with ``seed`` from the whole
    manifest, so the subset does not depend on how the images are sharded.

    ``limit`` keeps only the first images (by id) of that subset: the segmentation comparison's
    LIME runs on a part of the main run's LIME images, so every image it explains can be
    compared with the main run.
    """
    ordered = sorted(image_ids)
    if max_images is None or max_images >= len(ordered):
        chosen = ordered
    else:
        drawn = np.random.default_rng(seed).choice(len(ordered), size=max_images, replace=False)
        chosen = sorted(ordered[i] for i in drawn)
    return set(chosen if limit is None else chosen[:limit])
