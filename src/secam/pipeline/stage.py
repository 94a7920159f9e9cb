"""Stage: read the dataset into a manifest and a rejected table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from secam.artifacts import write_table
from secam.staging import Sampling, stage_dataset


def run_stage(
    dataset: dict[str, Any], manifest_path: str | Path, rejected_path: str | Path
) -> None:
    result = stage_dataset(
        annotations=dataset["annotations"],
        images=dataset["images"],
        synsets=dataset.get("synsets"),
        sampling=Sampling.from_config(dataset),
        max_pixels=dataset.get("max_pixels"),
        min_side=dataset.get("min_side", 8),
        shard_size=dataset.get("shard_size", 100),
    )
    write_table(result.rejected, rejected_path, "rejected")
    write_table(result.manifest, manifest_path, "manifest")
    print(f"staged {len(result.manifest)} images, rejected {len(result.rejected)} items")
