"""Segment: superpixels of every image of a shard, computed once and shared by all methods."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from secam.artifacts import write_arrays, write_table
from secam.imaging import load_rgb
from secam.pipeline.common import shard_rows
from secam.segmentation import algorithm_params, segment
from secam.sources import ImageSource


def run_segment(
    manifest_path: str | Path,
    shard: str,
    params: dict[str, Any],
    labels_path: str | Path,
    table_path: str | Path,
    algorithm: str | None = None,
) -> None:
    """Label images of the shard with ``params["algorithm"]``.

    ``params`` is the config's ``segmentation`` section; ``algorithm`` overrides the algorithm
    named there (the segmentation comparison's alternatives).
    """
    algorithm = algorithm or params["algorithm"]
    options = algorithm_params(params, algorithm)
    rows = shard_rows(manifest_path, shard)
    arrays, records = {}, []
    for row in rows.itertuples():
        image = load_rgb(ImageSource.from_row(row))
        start = time.perf_counter()
        labels = segment(image, algorithm, **options)
        seconds = time.perf_counter() - start
        arrays[row.image_id] = labels
        records.append(
            {
                "image_id": row.image_id,
                "algorithm": algorithm,
                "n_regions": int(labels.max()) + 1,
                "seconds": seconds,
            }
        )
    write_arrays(labels_path, arrays)
    write_table(
        pd.DataFrame(records, columns=["image_id", "algorithm", "n_regions", "seconds"]),
        table_path,
        "segments",
    )
