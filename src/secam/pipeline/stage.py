"""Stage: read the dataset into a manifest and a rejected table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from secam.artifacts import write_table
from secam.errors import SecamError
from secam.staging import Sampling, stage_dataset

SHOWN_REASONS = 10


class NoUsableImagesError(SecamError, RuntimeError):
    """Staging kept no image: there is nothing to explain."""


def run_stage(
    dataset: dict[str, Any], manifest_path: str | Path, rejected_path: str | Path
) -> None:
    """Write the manifest and the rejected table; stop when no image is usable, with the
    rejections' reasons in the message (a run over zero images would only make empty tables)."""
    result = stage_dataset(
        annotations=dataset["annotations"],
        images=dataset["images"],
        synsets=dataset["synsets"],
        sampling=Sampling.from_config(dataset),
        max_pixels=dataset["max_pixels"],
        min_side=dataset["min_side"],
        shard_size=dataset["shard_size"],
    )
    if result.manifest.empty:
        raise NoUsableImagesError(_nothing_staged(dataset, result.rejected))
    write_table(result.rejected, rejected_path, "rejected")
    write_table(result.manifest, manifest_path, "manifest")
    print(f"staged {len(result.manifest)} images, rejected {len(result.rejected)} items")


def _nothing_staged(dataset: dict[str, Any], rejected: pd.DataFrame) -> str:
    where = f"dataset.images = {dataset['images']}, dataset.annotations = {dataset['annotations']}"
    if rejected.empty:
        return (
            f"no usable image: nothing was selected from {where} (check dataset.sample and "
            "dataset.max_images)"
        )
    counts = rejected["reason"].value_counts()
    lines = [f"  {count} x {reason}" for reason, count in counts.head(SHOWN_REASONS).items()]
    if len(counts) > SHOWN_REASONS:
        lines.append(f"  ... and {len(counts) - SHOWN_REASONS} other reasons")
    heading = f"no usable image in {where}: all {len(rejected)} items were rejected:"
    return "\n".join([heading, *lines])
