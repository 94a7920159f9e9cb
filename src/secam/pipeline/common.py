"""Helpers shared by the stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import torch

from secam.artifacts import read_table
from secam.models.registry import LoadedModel, load_model


def shard_rows(manifest_path: str | Path, shard: str) -> pd.DataFrame:
    manifest = read_table(manifest_path, "manifest")
    return manifest[manifest["shard"] == shard].sort_values("image_id").reset_index(drop=True)


def load_configured_model(name: str, config: dict[str, Any], threads: int = 1) -> LoadedModel:
    torch.set_num_threads(max(1, int(threads)))
    options = config.get("model_options", {}).get(name, {})
    return load_model(
        name,
        weights=options.get("weights", "DEFAULT"),
        target_layer=options.get("target_layer"),
        device=config.get("device", "auto"),
    )
