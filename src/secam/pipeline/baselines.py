"""Baselines: the sanity baselines, and every explanation redrawn at another one's area.

Per model and shard, two tables (issue #8):

- ``baselines`` (the ``metrics`` columns): ``random-regions`` at each top-k selection (k seeded
  random superpixels) and ``full-image``, scored like every method;
- ``matched``: for every method's explanation (image x selection), each comparator redrawn at
  that explanation's area and scored: every other method of the run, ``random-regions`` (a
  random superpixel order) and ``centre-box`` (a centred rectangle). See :mod:`secam.area`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch

from secam.area import AreaExplanation, CentredBox, PixelRanking, RegionRanking
from secam.artifacts import open_arrays, read_table, write_table
from secam.baselines import (
    CENTRE_BOX,
    FULL_IMAGE,
    FULL_IMAGE_SELECTION,
    RANDOM_REGIONS,
    full_image,
    image_rng,
    random_order,
    random_scores,
)
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.map_explanation import explain_map
from secam.methods import method_spec
from secam.metrics import MASK_METRICS, Explained, score_batch
from secam.pipeline.common import load_configured_model
from secam.pipeline.explain import ShardInputs, insertion_probe
from secam.selection import (
    PrefixProbe,
    Selection,
    chosen_selections,
    rank_regions,
    selections_from_config,
)
from secam.table_columns import TABLES


def _comparators(
    image_id: str,
    labels: np.ndarray,
    order: np.ndarray,
    explained: Mapping[str, pd.DataFrame],
    maps: Mapping[str, np.ndarray],
    head_path: str,
) -> dict[str, AreaExplanation]:
    """Every explanation of this image that can be drawn at any area, and the two area
    baselines (``order``: the image's random superpixel order)."""
    shape = (int(labels.shape[0]), int(labels.shape[1]))
    comparators: dict[str, AreaExplanation] = {}
    for method, rows in explained.items():
        if image_id not in rows.index:
            continue  # LIME may explain a subset; CAM needs a GAP head
        spec = method_spec(method)
        if spec.kind == "pixels":
            grid = torch.from_numpy(maps[f"{spec.resolved_source(head_path)}/{image_id}"])
            comparators[method] = PixelRanking(explain_map(grid, shape, None, spec.kind).heatmap)
        else:
            scores = np.asarray(rows.loc[[image_id], "region_scores"].iloc[0], dtype=np.float64)
            comparators[method] = RegionRanking(labels, rank_regions(scores))
    comparators[RANDOM_REGIONS] = RegionRanking(labels, order)
    comparators[CENTRE_BOX] = CentredBox(shape)
    return comparators


class _Fixed(NamedTuple):
    """One fixed baseline explanation of an image, before scoring."""

    method: str
    selection: str
    mask: np.ndarray
    heatmap: np.ndarray
    n_selected: int  # superpixels held
    truncated: bool  # k larger than the number of superpixels


def _fixed_baselines(
    labels: np.ndarray,
    scores: np.ndarray,
    selections: Sequence[Selection],
    boxes: list,
    probe: PrefixProbe | None = None,
) -> list[dict[str, Any]]:
    """Metrics rows (image columns aside) of random superpixels at each selection (``scores``:
    the image's random region scores) and of the whole image; ``probe`` runs the model for
    ``sufficient:P``."""
    order = rank_regions(scores)
    n_regions = order.size
    ranks = np.empty(n_regions)
    ranks[order] = np.arange(n_regions, 0, -1)  # the first drawn ranks highest
    random_heatmap = ranks[labels]
    # the random scores go the one way from scores to masks that every method goes
    explained = explain_map(
        None, labels.shape, labels, "regions", selections, region_scores=scores, probe=probe
    )
    fixed = [
        _Fixed(
            RANDOM_REGIONS,
            chosen.selection.name,
            chosen.mask,
            random_heatmap,
            chosen.regions.size,
            chosen.truncated,
        )
        for chosen in explained.selected
    ]
    seconds = [chosen.seconds for chosen in explained.selected]
    start = time.perf_counter()
    flat = np.ones(labels.shape)  # the full image's heatmap: its pointing hit is the centre
    whole = full_image(labels.shape)
    fixed.append(_Fixed(FULL_IMAGE, FULL_IMAGE_SELECTION, whole, flat, n_regions, False))
    seconds.append(time.perf_counter() - start)
    values = score_batch([Explained(b.mask, b.heatmap) for b in fixed], [boxes] * len(fixed))
    return [
        {
            "method": baseline.method,
            "selection": baseline.selection,
            "area": float(baseline.mask.mean()),
            "n_selected": int(baseline.n_selected),
            "truncated": baseline.truncated,
            "seconds": seconds[index],
            **{name: float(v[index]) for name, v in values.items()},
        }
        for index, baseline in enumerate(fixed)
    ]


def _matched(
    image_id: str,
    explained: Mapping[str, pd.DataFrame],
    comparators: Mapping[str, AreaExplanation],
    boxes: list,
) -> list[dict[str, Any]]:
    """Matched rows (model aside): every explanation of the image x every other comparator."""
    rows: list[dict[str, Any]] = []
    masks: list[np.ndarray] = []
    for method, table in explained.items():
        if image_id not in table.index:
            continue
        for explanation in table.loc[[image_id]].itertuples():
            for comparator, drawn in comparators.items():
                if comparator == method:
                    continue
                mask = drawn.mask_at(float(explanation.area))
                masks.append(mask)
                rows.append(
                    {
                        "image_id": image_id,
                        "method": method,
                        "selection": explanation.selection,
                        "comparator": comparator,
                        "area": float(explanation.area),
                        "comparator_area": float(mask.mean()),
                    }
                )
    # the comparators are masks drawn at an area: the mask metrics only
    items = [Explained(mask) for mask in masks]
    values = score_batch(items, [boxes] * len(items), MASK_METRICS) if items else {}
    return [
        {**row, **{name: float(v[index]) for name, v in values.items()}}
        for index, row in enumerate(rows)
    ]


def run_baselines(
    model_name: str,
    config: dict[str, Any],
    inputs: ShardInputs,
    maps_path: str | Path,
    explanations: Mapping[str, str | Path],
    out_baselines: str | Path,
    out_matched: str | Path,
    threads: int = 1,
) -> None:
    """``explanations``: the explanations table of every method of the run, by method.

    Random regions take every top-k and the sizes chosen without a hand-picked k (gap on their
    random scores; sufficient:P runs the model, loaded only then)."""
    seed = int(config["baselines"]["seed"])
    top_k, _ = selections_from_config(config["selection"])
    selections = top_k + chosen_selections(config["selection"])
    model = None
    explained = {
        method: read_table(path, "explanations").set_index("image_id")
        for method, path in sorted(explanations.items())
    }
    baseline_rows: list[dict[str, Any]] = []
    matched_rows: list[dict[str, Any]] = []
    with (
        inputs.open() as (rows, label_images, _, predictions),
        open_arrays(maps_path) as maps,
    ):
        if len(rows) and any(s.needs_model for s in selections):
            model = load_configured_model(model_name, config, threads)
        for row in rows.itertuples():
            if row.image_id not in predictions.index:
                continue
            prediction = predictions.loc[row.image_id]
            labels = label_images[row.image_id]
            boxes = [list(map(int, box)) for box in row.boxes]
            rng = image_rng(seed, row.image_id)
            order = random_order(int(labels.max()) + 1, rng)
            target = int(prediction["target_index"])
            probe = None
            if model is not None:
                image_pixels = load_rgb(ImageSource.from_row(row))
                probe = insertion_probe(model, config, image_pixels, labels, target)
            image = {
                "image_id": row.image_id,
                "model": model_name,
                "target_index": target,
                "label_index": int(row.class_index),
                "predicted_index": int(prediction["predicted_index"]),
                "n_regions": order.size,
            }
            fixed = _fixed_baselines(labels, random_scores(order, rng), selections, boxes, probe)
            baseline_rows += [{**image, **values} for values in fixed]
            comparators = _comparators(
                row.image_id, labels, order, explained, maps, str(prediction["head_path"])
            )
            matched_rows += [
                {**values, "model": model_name}
                for values in _matched(row.image_id, explained, comparators, boxes)
            ]

    baselines = pd.DataFrame(baseline_rows, columns=list(TABLES["metrics"]))
    baselines["correct"] = baselines["label_index"] == baselines["predicted_index"]
    write_table(baselines, out_baselines, "metrics")
    write_table(pd.DataFrame(matched_rows, columns=list(TABLES["matched"])), out_matched, "matched")
