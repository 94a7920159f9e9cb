"""Evaluate: localisation metrics of every explanation against the human boxes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from secam.artifacts import TABLES, open_arrays, read_table, write_table
from secam.metrics import METRICS
from secam.pipeline.common import shard_rows

MASK_BATCH = 64


def run_evaluate(
    manifest_path: str | Path,
    shard: str,
    predictions_path: str | Path,
    explanations_path: str | Path,
    masks_path: str | Path,
    out_metrics: str | Path,
) -> None:
    images = shard_rows(manifest_path, shard).set_index("image_id")
    predictions = read_table(predictions_path, "predictions").set_index("image_id")
    explanations = read_table(explanations_path, "explanations")
    keys = [f"{r.image_id}/{r.selection}" for r in explanations.itertuples()]
    boxes = [images.loc[image_id, "boxes"] for image_id in explanations["image_id"]]
    boxes = [[list(map(int, box)) for box in image_boxes] for image_boxes in boxes]

    metrics = explanations[
        [
            "image_id",
            "model",
            "method",
            "selection",
            "target_index",
            "area",
            "n_regions",
            "truncated",
            "seconds",
            "energy_ebpg",
            "pointing_hit",
        ]
    ].copy()
    metrics["label_index"] = [int(images.loc[i, "class_index"]) for i in metrics["image_id"]]
    metrics["predicted_index"] = [
        int(predictions.loc[i, "top5_indices"][0]) for i in metrics["image_id"]
    ]
    metrics["correct"] = metrics["label_index"] == metrics["predicted_index"]
    values: dict[str, list[float]] = {metric.name: [] for metric in METRICS}
    with open_arrays(masks_path) as masks:
        # batches of masks bound the memory, whatever the shard's size
        for start in range(0, len(keys), MASK_BATCH):
            batch_masks = [masks[key] for key in keys[start : start + MASK_BATCH]]
            batch_boxes = boxes[start : start + MASK_BATCH]
            for metric in METRICS:
                values[metric.name].extend(metric.evaluate_batch(batch_masks, batch_boxes))
    for metric in METRICS:
        metrics[metric.name] = values[metric.name]
    write_table(pd.DataFrame(metrics, columns=list(TABLES["metrics"])), out_metrics, "metrics")
