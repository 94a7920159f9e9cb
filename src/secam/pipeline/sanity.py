"""The model-parameter randomisation test per model and shard (:mod:`secam.randomisation`).

For every method of the run, each image is explained by the trained model and by the model with
its top 1, 2, ... ``sanity.depth`` layer groups randomised (cascading, head first), always for the
class the trained model explains (the predictions table's target, as Adebayo et al.), over the
same cached superpixels and with the same selections as the explain stage. The trained model's
maps are computed here too, from the same pass code (:class:`SharedPass`) as the randomised
ones, so the comparison is like for like. LIME, the slow method, runs on a seeded subset.

Writes table ``sanity`` (one row per image x method x depth x selection: Spearman correlation
and mask IoU with the trained model's explanation) and, for the figure images, every method's
heatmap per depth (NPZ, key ``<image_id>/<method>/<depth>``, depth 0 the trained model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from secam.activations.shared import SharedPass
from secam.artifacts import ArrayWriter, read_arrays, read_table, write_table, write_text
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.lime import lime_scorer
from secam.map_explanation import MapExplanation, explain_map
from secam.methods import map_sources, method_spec
from secam.pipeline.common import Progress, batch_size_for, load_configured_model
from secam.pipeline.explain import ShardInputs, selections_for
from secam.randomisation import loaded_model_cascade, mask_iou, randomised, spearman
from secam.table_columns import TABLES


def seeded_order(image_ids: Sequence[str], seed: int) -> list[str]:
    """Every image id in one seeded order, the same whatever the sharding: the figure shows the
    first ``sanity.figure_images``, LIME runs on the first ``sanity.lime_images`` (so the
    figure's images have LIME whenever ``lime_images >= figure_images``)."""
    ordered = sorted(image_ids)
    return [ordered[i] for i in np.random.default_rng(seed).permutation(len(ordered))]


def sanity_images(manifest_path: str | Path, options: dict[str, Any]) -> tuple[set, set]:
    """(LIME's images, the figure's images) of the run, from the whole manifest."""
    order = seeded_order(read_table(manifest_path, "manifest")["image_id"], options["seed"])
    lime = order if options["lime_images"] is None else order[: options["lime_images"]]
    return set(lime), set(order[: options["figure_images"]])


def _explanation(
    spec_kind: str,
    grid: torch.Tensor | None,
    scores: np.ndarray | None,
    labels: np.ndarray,
    selections: list,
) -> MapExplanation:
    """One explanation the way the explain stage makes it (pixel methods without superpixels)."""
    if spec_kind == "lime":
        return explain_map(None, labels.shape, labels, "lime", selections, region_scores=scores)
    regions = labels if spec_kind == "regions" else None
    return explain_map(grid, labels.shape, regions, spec_kind, selections)


def _similarity(kind: str, trained: MapExplanation, other: MapExplanation) -> float:
    """Spearman of the region scores (SeCAM, LIME) or of the full-resolution maps (heatmaps)."""
    if kind == "pixels":
        assert trained.full_map is not None and other.full_map is not None
        return spearman(trained.full_map.numpy(), other.full_map.numpy())
    assert trained.region_scores is not None and other.region_scores is not None
    return spearman(trained.region_scores, other.region_scores)


def _comparison_rows(
    explained: Sequence[MapExplanation],
    names: Mapping[int, str],
    kind: str,
    identity: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Rows of table ``sanity``: ``identity`` (image, model, method, class) with the depth,
    randomised group, selection, Spearman and mask IoU of each randomised explanation
    (``explained[d]``, d >= 1) against the trained model's (``explained[0]``)."""
    trained = explained[0]
    rows = []
    for level in range(1, len(explained)):
        similarity = _similarity(kind, trained, explained[level])
        for before, after in zip(trained.selected, explained[level].selected, strict=True):
            rows.append(
                {
                    **identity,
                    "depth": level,
                    "randomised": names[level],
                    "selection": before.selection.name,
                    "spearman": similarity,
                    "mask_iou": mask_iou(before.mask, after.mask),
                }
            )
    return rows


def run_sanity(
    model_name: str,
    config: dict[str, Any],
    inputs: ShardInputs,
    table_path: str | Path,
    heatmaps_path: str | Path,
    threads: int = 1,
    label: str | None = None,
) -> None:
    """The randomisation test of every method of ``config["methods"]`` on the shard's images
    (LIME on its seeded subset); see the module docstring. Progress lines start with ``label``
    (default: model and shard)."""
    options = config["sanity"]
    lime_options = config["lime"]
    lime_ids, figure_ids = sanity_images(inputs.manifest, options)
    records: list[dict[str, Any]] = []
    with inputs.open() as (rows, label_images, _, predictions), ArrayWriter(heatmaps_path) as out:
        if rows.empty:
            write_table(pd.DataFrame(columns=list(TABLES["sanity"])), table_path, "sanity")
            return
        model = load_configured_model(model_name, config, threads)
        head_path = str(predictions.loc[rows.iloc[0].image_id, "head_path"])
        specs = [method_spec(m) for m in config["methods"]]
        specs = [s for s in specs if s.kind == "lime" or s.applies_to(head_path)]
        sources = map_sources([s.name for s in specs], head_path)
        shared = (
            SharedPass(model, sources, config["score_cam"]["channel_batch"]) if sources else None
        )
        batch_size = batch_size_for(config["activation"]["batch_size"], model.device.type)
        lime_batch = max(1, batch_size_for(lime_options["batch_size"], model.device.type))
        cascade = loaded_model_cascade(model)
        depth = min(int(options["depth"]), len(cascade))
        targets = {
            r.image_id: int(predictions.loc[r.image_id, "target_index"]) for r in rows.itertuples()
        }

        # grids[(depth, source, image_id)]: map on the feature grid; lime[(depth, method, id)]
        grids: dict[tuple[int, str, str], torch.Tensor] = {}
        lime: dict[tuple[int, str, str], np.ndarray] = {}
        lime_specs = [s for s in specs if s.kind == "lime"]
        lime_rows = rows[rows["image_id"].isin(lime_ids)] if lime_specs else rows[:0]
        steps = (depth + 1) * (len(rows) + len(lime_rows) * len(lime_specs))
        progress = Progress(
            label or f"sanity {model_name} {inputs.shard}", steps, unit="explanation"
        )
        for level in range(depth + 1):
            with randomised(model.module, cascade, level, options["seed"]):
                for start in range(0, len(rows) if shared else 0, batch_size):
                    batch = rows.iloc[start : start + batch_size]
                    images = [load_rgb(ImageSource.from_row(r)) for r in batch.itertuples()]
                    x = torch.cat([model.preprocessing(i, model.device) for i in images])
                    _, maps = shared(x, [targets[i] for i in batch["image_id"]])
                    for source, grid in maps.items():
                        for image_id, one in zip(batch["image_id"], grid.cpu(), strict=True):
                            grids[(level, source, image_id)] = one
                    progress.advance(len(batch))
                for row in lime_rows.itertuples():
                    image = load_rgb(ImageSource.from_row(row))
                    for spec in lime_specs:
                        lime[(level, spec.name, row.image_id)] = lime_scorer(spec.name)(
                            model,
                            image,
                            label_images[row.image_id],
                            targets[row.image_id],
                            num_samples=lime_options["num_samples"],
                            seed=lime_options["seed"],
                            batch_size=lime_batch,
                            kernel_width=lime_options["kernel_width"],
                        )
                        progress.advance()

        names = {level: cascade[level - 1].name for level in range(1, depth + 1)}
        for row in rows.itertuples():
            labels = label_images[row.image_id]
            for spec in specs:
                if spec.kind == "lime" and row.image_id not in lime_ids:
                    continue
                # sufficient:P runs the model on every prefix of the ranking; the Spearman
                # already compares the rankings, so only the selections that need no model
                selections = [
                    s
                    for s in selections_for(spec.name, config)
                    if not getattr(s, "needs_model", False)
                ]
                source = None if spec.kind == "lime" else spec.resolved_source(head_path)
                explained = [
                    _explanation(
                        spec.kind,
                        grids.get((level, source, row.image_id)) if source else None,
                        lime.get((level, spec.name, row.image_id)),
                        labels,
                        selections,
                    )
                    for level in range(depth + 1)
                ]
                if row.image_id in figure_ids:
                    for level, explanation in enumerate(explained):
                        key = f"{row.image_id}/{spec.name}/{level}"
                        out.add(key, explanation.heatmap.astype(np.float32))
                identity = {
                    "image_id": row.image_id,
                    "model": model_name,
                    "method": spec.name,
                    "target_index": targets[row.image_id],
                }
                records += _comparison_rows(explained, names, spec.kind, identity)
    write_table(pd.DataFrame(records, columns=list(TABLES["sanity"])), table_path, "sanity")


def run_sanity_report(
    tables: Mapping[tuple[str, ...], str | Path],
    heatmaps: Mapping[tuple[str, ...], str | Path],
    manifest_path: str | Path,
    config: dict[str, Any],
    table_outputs: Mapping[str, str | Path],
    figure_outputs: Sequence[str | Path],
) -> None:
    """``tables/sanity.{csv,md}`` and ``figures/sanity.{png,pdf}`` from the shards' tables and
    heatmaps (``tables`` and ``heatmaps``: {(model, shard): path}); ``table_outputs`` maps a
    format (csv, md) to its file."""
    from secam.report.rendering import render
    from secam.report.sanity_report import draw_sanity, sanity_summary

    frames = [read_table(path, "sanity") for path in tables.values()]
    rows = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(TABLES["sanity"]))
    )
    report = config["report"]
    summary = sanity_summary(rows, report["bootstrap_resamples"], report["seed"])
    for fmt, path in table_outputs.items():
        write_text(path, render(summary, fmt))
    depth_names = {
        str(model): [str(n) for n in group.sort_values("depth")["randomised"].unique()]
        for model, group in rows.drop_duplicates(["model", "depth"]).groupby("model")
    }
    figure_heatmaps: dict[tuple[str, str, str, int], np.ndarray] = {}
    for key, path in heatmaps.items():
        for name, heat in read_arrays(path).items():
            image_id, method, depth = name.rsplit("/", 2)
            figure_heatmaps[(str(key[0]), image_id, method, int(depth))] = heat
    manifest = read_table(manifest_path, "manifest").set_index("image_id", drop=False)
    shown = sorted({image_id for _, image_id, _, _ in figure_heatmaps})
    images = {i: load_rgb(ImageSource.from_row(manifest.loc[i])) for i in shown}
    boxes = {i: list(manifest.loc[i, "boxes"]) for i in shown}
    draw_sanity(figure_heatmaps, images, depth_names, figure_outputs, boxes)
