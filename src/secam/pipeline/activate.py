"""Activate: per model and shard, predictions plus every activation map the methods need.

Maps are stored on the feature grid, key ``<source>/<image_id>`` (sources: ``cam``,
``gradient``, ``gradcam``, ``gradcampp``, ``layercam``, ``scorecam``; see
:func:`secam.methods.map_sources`). Each map is timed on its own — preprocessing + forward
[+ backward] + map — after an untimed warm-up, so every method is charged its full share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from secam.activations import make_mapper
from secam.artifacts import TABLES, write_arrays, write_table
from secam.classes import imagenet_classes
from secam.imaging import load_rgb
from secam.methods import map_sources
from secam.models.registry import LoadedModel
from secam.pipeline.common import load_configured_model, shard_rows
from secam.sources import ImageSource
from secam.timing import Stopwatch


def predict(model: LoadedModel, image: np.ndarray) -> torch.Tensor:
    """Class probabilities (float64) of one image."""
    with torch.inference_mode():
        logits = model.module(model.preprocessing(image, model.device))
    return torch.softmax(logits[0].double(), dim=0)


def run_activate(
    manifest_path: str | Path,
    shard: str,
    model_name: str,
    config: dict[str, Any],
    maps_path: str | Path,
    predictions_path: str | Path,
    map_timings_path: str | Path,
    threads: int = 1,
) -> None:
    rows = shard_rows(manifest_path, shard)
    model = load_configured_model(model_name, config, threads)
    classes = imagenet_classes()
    channel_batch = config.get("score_cam", {}).get("channel_batch", 64)
    sources = map_sources(config["methods"], model.head_path)
    mappers = {s: make_mapper(model, s, channel_batch=channel_batch) for s in sources}
    images = {row.image_id: load_rgb(ImageSource.from_row(row)) for row in rows.itertuples()}

    if images:
        first = model.preprocessing(next(iter(images.values())), model.device)
        for _ in range(config["timing"]["warmup"]):
            for mapper in mappers.values():
                mapper(first)

    arrays: dict[str, np.ndarray] = {}
    predictions, timings = [], []
    for row in rows.itertuples():
        image = images[row.image_id]
        probabilities = predict(model, image)
        top = torch.topk(probabilities, 5)
        by_label = config.get("target", "predicted") == "label"
        target = int(row.class_index) if by_label else int(top.indices[0])
        for source, mapper in mappers.items():
            watch = Stopwatch(model.device)
            with watch.lap("map"):
                result = mapper(model.preprocessing(image, model.device), [target])
            arrays[f"{source}/{row.image_id}"] = result.maps[0].cpu().numpy()
            timings.append(
                {
                    "image_id": row.image_id,
                    "model": model_name,
                    "source": source,
                    "seconds": watch["map"],
                }
            )
        predictions.append(
            {
                "image_id": row.image_id,
                "model": model_name,
                "head_path": model.head_path,
                "target_index": target,
                "target_label": classes.labels[target],
                "top5_indices": [int(i) for i in top.indices],
                "top5_probs": [float(p) for p in top.values],
                "device": model.device_name(),
            }
        )
    write_arrays(maps_path, arrays)
    write_table(
        pd.DataFrame(timings, columns=list(TABLES["map_timings"])), map_timings_path, "map_timings"
    )
    write_table(
        pd.DataFrame(predictions, columns=list(TABLES["predictions"])),
        predictions_path,
        "predictions",
    )
