"""Activate: per model and shard, predictions plus the maps on the feature grid.

Stored per image: ``secam/<id>`` the signed M_c that SeCAM (and CAM) averages — CAM on a GAP
head, the gradient map otherwise — and ``gradcam/<id>`` the Grad-CAM map. Both are timed on
their own (preprocessing + forward [+ backward] + map), after an untimed warm-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from secam.activations import GradCAM, secam_source_for
from secam.artifacts import TABLES, write_arrays, write_table
from secam.classes import imagenet_classes
from secam.imaging import load_rgb
from secam.pipeline.common import load_configured_model, shard_rows
from secam.timing import Stopwatch


def run_activate(
    manifest_path: str | Path,
    shard: str,
    model_name: str,
    config: dict[str, Any],
    maps_path: str | Path,
    predictions_path: str | Path,
    threads: int = 1,
) -> None:
    rows = shard_rows(manifest_path, shard)
    model = load_configured_model(model_name, config, threads)
    classes = imagenet_classes()
    source, gradcam = secam_source_for(model), GradCAM(model)
    images = {row.image_id: load_rgb(row.path) for row in rows.itertuples()}

    if images:
        first = model.preprocessing(next(iter(images.values())), model.device)
        for _ in range(config["timing"]["warmup"]):
            source(first)
            gradcam(first)

    arrays: dict[str, np.ndarray] = {}
    records = []
    for row in rows.itertuples():
        target = None if config.get("target", "predicted") == "predicted" else [row.class_index]
        watch = Stopwatch(model.device)
        with watch.lap("cam"):
            x = model.preprocessing(images[row.image_id], model.device)
            result = source(x, target)
        explained = result.targets
        with watch.lap("gradcam"):
            x = model.preprocessing(images[row.image_id], model.device)
            grad_result = gradcam(x, explained)
        probabilities = torch.softmax(result.logits[0].double(), dim=0)
        top = torch.topk(probabilities, 5)
        index = int(explained[0])
        arrays[f"secam/{row.image_id}"] = result.maps[0].cpu().numpy()
        arrays[f"gradcam/{row.image_id}"] = grad_result.maps[0].cpu().numpy()
        records.append(
            {
                "image_id": row.image_id,
                "model": model_name,
                "head_path": model.head_path,
                "target_index": index,
                "target_label": classes.labels[index],
                "top5_indices": [int(i) for i in top.indices],
                "top5_probs": [float(p) for p in top.values],
                "cam_seconds": watch["cam"],
                "gradcam_seconds": watch["gradcam"],
                "device": model.device_name(),
            }
        )
    write_arrays(maps_path, arrays)
    write_table(
        pd.DataFrame(records, columns=list(TABLES["predictions"])), predictions_path, "predictions"
    )
