"""Activate: per model and shard, predictions plus every activation map the methods need.

Maps are stored on the feature grid, key ``<source>/<image_id>`` (sources: ``cam``,
``gradient``, ``gradcam``, ``gradcampp``, ``layercam``, ``scorecam``; see
:func:`secam.methods.map_sources`). Images go through the model ``activation.batch_size`` at a
time, and one forward (plus one backward when a source needs gradients) gives every source's
maps for the whole batch (:class:`secam.activations.SharedPass`). Each image is charged its
share of the batch: forward, backward (only to the sources that use it) and its source's map,
timed after an untimed warm-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import torch

from secam.activations import SharedPass
from secam.artifacts import ArrayWriter, write_table
from secam.classes import ClassList, imagenet_classes
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.methods import map_sources
from secam.pipeline.common import batch_size_for, load_configured_model, shard_rows
from secam.table_columns import TABLES
from secam.timing import Stopwatch


def _label_targets(batch: pd.DataFrame, classes: ClassList, model_name: str) -> list[int]:
    """``target: label``: each image's class in the model's own class list."""
    targets = []
    for row in batch.itertuples():
        index = classes.matching(row.wnid, row.label)
        if index is None:
            raise ValueError(
                f"target: label, but {model_name}'s classes hold neither {row.wnid} nor "
                f"{row.label!r} (image {row.image_id}); explain the predicted class instead"
            )
        targets.append(index)
    return targets


def _dataset_index(classes: ClassList, index: int) -> int:
    """The standard 1000-class index of the model's class ``index`` (-1: not an ImageNet class),
    so that a model with its own class list is scored against the ground truth by name."""
    if classes is imagenet_classes():
        return index
    found = imagenet_classes().matching(classes.wnids[index], classes.labels[index])
    return -1 if found is None else found


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
    classes = model.classes
    sources = map_sources(config["methods"], model.head_path)
    shared_pass = SharedPass(model, sources, channel_batch=config["score_cam"]["channel_batch"])
    batch_size = max(1, batch_size_for(config["activation"]["batch_size"], model.device.type))
    by_label = config["target"] == "label"
    batches = [rows.iloc[i : i + batch_size] for i in range(0, len(rows), batch_size)]

    def decode(batch: pd.DataFrame) -> list:
        return [load_rgb(ImageSource.from_row(row)) for row in batch.itertuples()]

    def preprocess(images: list) -> torch.Tensor:
        return torch.cat([model.preprocessing(image, model.device) for image in images])

    if batches and config["timing"]["warmup"]:
        warm = preprocess(decode(batches[0]))
        for _ in range(config["timing"]["warmup"]):
            shared_pass(warm)

    predictions, timings = [], []
    with ArrayWriter(maps_path) as maps_out:
        for batch in batches:
            images = decode(batch)  # I/O, not the method: outside the timed laps
            watch = Stopwatch(model.device)
            with watch.lap("forward"):
                inputs = preprocess(images)
            targets = _label_targets(batch, classes, model_name) if by_label else None
            capture, maps = shared_pass(inputs, targets, watch)
            probabilities = torch.softmax(capture.logits.double(), dim=1)
            top = torch.topk(probabilities, 5, dim=1)
            share = 1.0 / len(batch)
            for position, row in enumerate(batch.itertuples()):
                for source, mapper in shared_pass.mappers.items():
                    maps_out.add(f"{source}/{row.image_id}", maps[source][position].cpu().numpy())
                    forward = watch["forward"] * share
                    backward = watch["backward"] * share if mapper.needs_gradients else 0.0
                    map_seconds = watch[f"map:{source}"] * share
                    timings.append(
                        {
                            "image_id": row.image_id,
                            "model": model_name,
                            "source": source,
                            "batch_size": len(batch),
                            "forward_seconds": forward,
                            "backward_seconds": backward,
                            "map_seconds": map_seconds,
                            "seconds": forward + backward + map_seconds,
                            "threads": torch.get_num_threads(),
                        }
                    )
                target = int(capture.targets[position])
                top1 = int(top.indices[position][0])
                predictions.append(
                    {
                        "image_id": row.image_id,
                        "model": model_name,
                        "head_path": model.head_path,
                        "target_index": target,
                        "target_label": classes.labels[target],
                        "top5_indices": [int(i) for i in top.indices[position]],
                        "top5_probs": [float(p) for p in top.values[position]],
                        "predicted_index": _dataset_index(classes, top1),
                        "device": model.device_name(),
                    }
                )
    write_table(
        pd.DataFrame(timings, columns=list(TABLES["map_timings"])), map_timings_path, "map_timings"
    )
    write_table(
        pd.DataFrame(predictions, columns=list(TABLES["predictions"])),
        predictions_path,
        "predictions",
    )
