"""Evaluate: localisation metrics of every explanation against the human boxes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from secam.artifacts import TABLES, read_arrays, read_table, write_table
from secam.metrics import METRICS
from secam.pipeline.common import shard_rows


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
    masks = read_arrays(masks_path)

    keys = [f"{r.image_id}/{r.selection}" for r in explanations.itertuples()]
    batch_masks = [masks[key] for key in keys]
    batch_boxes = [images.loc[image_id, "boxes"] for image_id in explanations["image_id"]]
    batch_boxes = [[list(map(int, box)) for box in boxes] for boxes in batch_boxes]

    metrics = explanations[
        [
            "image_id",
            "model",
            "method",
            "selection",
            "target_index",
            "area",
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
    for metric in METRICS:
        metrics[metric.name] = metric.evaluate_batch(batch_masks, batch_boxes) if keys else []
    write_table(pd.DataFrame(metrics, columns=list(TABLES["metrics"])), out_metrics, "metrics")
