"""Evaluate: the localisation metrics of every explanation against the human boxes.

The five metrics (:mod:`secam.metrics`) are computed here, and only here for the methods' own
explanations, by one :func:`~secam.metrics.score_batch` call per batch. The mask metrics read the
masks the explain stage wrote; the heatmap metrics read each explanation's heatmap, rebuilt by
:func:`~secam.map_explanation.explain_map`: the region scores over the superpixels for SeCAM and
LIME, the cached map at the image's size for the pixel methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secam.artifacts import open_arrays, read_table, write_table
from secam.map_explanation import explain_map
from secam.methods import method_spec
from secam.metrics import METRIC_NAMES, Explained, score_batch
from secam.pipeline.common import shard_rows
from secam.table_columns import TABLES

MASK_BATCH = 64


def run_evaluate(
    manifest_path: str | Path,
    shard: str,
    predictions_path: str | Path,
    explanations_path: str | Path,
    masks_path: str | Path,
    labels_path: str | Path,
    maps_path: str | Path,
    out_metrics: str | Path,
) -> None:
    """``labels_path``: the superpixels the explanations were made on (segments NPZ);
    ``maps_path``: the activate stage's maps (read for the pixel methods only)."""
    images = shard_rows(manifest_path, shard).set_index("image_id")
    predictions = read_table(predictions_path, "predictions").set_index("image_id")
    explanations = read_table(explanations_path, "explanations")
    keys = [f"{r.image_id}/{r.selection}" for r in explanations.itertuples()]
    boxes = {
        image_id: [list(map(int, box)) for box in images.loc[image_id, "boxes"]]
        for image_id in explanations["image_id"].unique()
    }

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
        ]
    ].copy()
    metrics["n_selected"] = explanations["selected_regions"].map(len).astype("int64")
    metrics["label_index"] = [int(images.loc[i, "class_index"]) for i in metrics["image_id"]]
    metrics["predicted_index"] = [
        int(predictions.loc[i, "predicted_index"]) for i in metrics["image_id"]
    ]
    metrics["correct"] = metrics["label_index"] == metrics["predicted_index"]
    values: dict[str, list[float]] = {name: [] for name in METRIC_NAMES}
    with (
        open_arrays(masks_path) as masks,
        open_arrays(labels_path) as label_images,
        open_arrays(maps_path) as maps,
    ):

        def heatmap(row: Any) -> np.ndarray:
            spec = method_spec(row.method)
            size = (int(images.loc[row.image_id, "height"]), int(images.loc[row.image_id, "width"]))
            if spec.kind == "pixels":
                source = spec.resolved_source(predictions.loc[row.image_id, "head_path"])
                return explain_map(maps[f"{source}/{row.image_id}"], size, None, spec.kind).heatmap
            scores = np.asarray(row.region_scores, dtype=np.float64)
            labels = label_images[row.image_id]
            return explain_map(None, size, labels, spec.kind, region_scores=scores).heatmap

        # batches bound the memory, whatever the shard's size; the selections of an image share
        # its heatmap (and its heatmap metrics are computed once)
        rows = list(explanations.itertuples())
        for start in range(0, len(rows), MASK_BATCH):
            batch = rows[start : start + MASK_BATCH]
            heatmaps: dict[tuple[str, str], np.ndarray] = {}
            items = []
            for row, key in zip(batch, keys[start : start + MASK_BATCH], strict=True):
                if (row.method, row.image_id) not in heatmaps:
                    heatmaps[(row.method, row.image_id)] = heatmap(row)
                items.append(Explained(masks[key], heatmaps[(row.method, row.image_id)]))
            scored = score_batch(items, [boxes[row.image_id] for row in batch])
            for name in METRIC_NAMES:
                values[name].extend(scored[name])
    for name in METRIC_NAMES:
        metrics[name] = values[name]
    write_table(pd.DataFrame(metrics, columns=list(TABLES["metrics"])), out_metrics, "metrics")
