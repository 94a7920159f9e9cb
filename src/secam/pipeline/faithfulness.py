"""Faithfulness: deletion and insertion curves of every method on the shard's superpixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secam.artifacts import open_arrays, read_table, write_table
from secam.faithfulness import blurred, kept_probabilities, region_curves
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.lime import probability_fn
from secam.map_explanation import explain_map
from secam.methods import method_spec
from secam.pipeline.common import Progress, batch_size_for, load_configured_model
from secam.pipeline.explain import ShardInputs
from secam.table_columns import TABLES
from secam.timing import Stopwatch


def run_faithfulness(
    method: str,
    model_name: str,
    config: dict[str, Any],
    inputs: ShardInputs,
    maps_path: str | Path,
    explanations_path: str | Path,
    masks_path: str | Path,
    out_path: str | Path,
    threads: int = 1,
    label: str | None = None,
) -> None:
    """Curves for every image the method explained; regions ordered by the method's scores
    (SeCAM, LIME) or by its heatmap's mean inside each superpixel (heatmap methods). Beside
    them, what each selection's mask alone keeps of the class's probability (``kept``).

    The loop reports its progress (:class:`Progress`), its lines starting with ``label``
    (default: method, model and shard)."""
    spec = method_spec(method)
    every_selection = read_table(explanations_path, "explanations")
    selections = every_selection.groupby("image_id", sort=False)["selection"].agg(list)
    explained = every_selection.drop_duplicates("image_id").set_index("image_id")
    options = config["faithfulness"]
    records = []
    model = load_configured_model(model_name, config, threads) if len(explained) else None
    with (
        inputs.open() as (rows, label_images, _, predictions),
        open_arrays(maps_path) as maps,
        open_arrays(masks_path) as masks,
    ):
        # LIME's subset; none for CAM on a head without global average pooling
        rows = rows[rows["image_id"].isin(explained.index)] if model is not None else rows[:0]
        progress = Progress(label or f"{method} {model_name} {inputs.shard}", len(rows))
        for row in progress.track(rows.itertuples()):
            labels = label_images[row.image_id]
            if spec.kind == "pixels":
                source = spec.resolved_source(predictions.loc[row.image_id, "head_path"])
                grid = maps[f"{source}/{row.image_id}"]
                scores = explain_map(grid, (row.height, row.width), labels, spec.kind).region_scores
            else:
                scores = np.asarray(explained.loc[row.image_id, "region_scores"], dtype=np.float64)
            target = int(explained.loc[row.image_id, "target_index"])
            image = load_rgb(ImageSource.from_row(row))  # I/O: outside the timed lap
            batch_size = batch_size_for(options["batch_size"], model.device.type)
            watch = Stopwatch(model.device)
            with watch.lap("curves"):
                background = blurred(image)  # once for the curves and the kept shares
                curves = region_curves(
                    probability_fn(model),
                    image,
                    labels,
                    scores,
                    target,
                    steps=options["steps"],
                    batch_size=batch_size,
                    background=background,
                )
            names = selections.loc[row.image_id]
            kept = kept_probabilities(
                probability_fn(model),
                image,
                [masks[f"{row.image_id}/{name}"] for name in names],
                target,
                batch_size,
                background,
            )
            # the insertion curve ends on the whole image: the class's full probability
            kept = kept / curves.insertion[-1]
            records.append(
                {
                    "image_id": row.image_id,
                    "model": model_name,
                    "method": method,
                    "target_index": target,
                    "n_regions": int(labels.max()) + 1,
                    "fractions": curves.fractions.tolist(),
                    "deletion": curves.deletion.tolist(),
                    "insertion": curves.insertion.tolist(),
                    "deletion_auc": curves.deletion_auc,
                    "insertion_auc": curves.insertion_auc,
                    "selections": list(names),
                    "kept": kept.tolist(),
                    "seconds": watch["curves"],
                }
            )
    write_table(
        pd.DataFrame(records, columns=list(TABLES["faithfulness"])), out_path, "faithfulness"
    )
