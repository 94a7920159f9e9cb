"""The model-parameter randomisation test in the report: the summary table with each method's
verdict, and the figure in the style of Adebayo et al. (2018, Fig. 2): rows methods, columns the
trained model then each randomised depth, each cell the explanation's heatmap over the image."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from secam.artifacts import atomic_path
from secam.methods import method_spec
from secam.randomisation import VERDICT_DEPTH, verdict
from secam.report.figures import grid_size
from secam.report.ordering import method_rank
from secam.report.overlay import DPI, FONT_SIZE, draw_heatmap, heat_colorbar
from secam.statistics import RESAMPLES, SEED, bootstrap_ci
from secam.table_columns import TABLES, check_columns


def sanity_summary(
    rows: pd.DataFrame, resamples: int = RESAMPLES, seed: int = SEED
) -> pd.DataFrame:
    """Table ``sanity_summary`` from rows of table ``sanity``: per model x method x depth the
    mean Spearman correlation and mean mask IoU over the images (an image's mask IoU is its mean
    over the method's selections), each with its 95 % bootstrap CI; the method's verdict
    (:func:`secam.randomisation.verdict`) on its row at depth :data:`VERDICT_DEPTH` (the deepest
    depth when the run stops before it)."""
    records = []
    per_image = (
        rows.groupby(["model", "method", "depth", "randomised", "image_id"], sort=False)
        .agg(spearman=("spearman", "first"), mask_iou=("mask_iou", "mean"))
        .reset_index()
    )
    for (model, method), group in per_image.groupby(["model", "method"], sort=False):
        decided = min(VERDICT_DEPTH, int(group["depth"].max()))
        for (depth, randomised), images in group.groupby(["depth", "randomised"]):
            spearman = bootstrap_ci(images["spearman"].to_numpy(), resamples=resamples, seed=seed)
            iou = bootstrap_ci(images["mask_iou"].to_numpy(), resamples=resamples, seed=seed)
            records.append(
                {
                    "model": model,
                    "method": method,
                    "depth": int(depth),
                    "randomised": randomised,
                    "n": spearman.n,
                    "spearman": spearman.mean,
                    "spearman_low": spearman.low,
                    "spearman_high": spearman.high,
                    "mask_iou": iou.mean,
                    "mask_iou_low": iou.low,
                    "mask_iou_high": iou.high,
                    "verdict": verdict(spearman) if depth == decided else "",
                }
            )
    table = pd.DataFrame(records, columns=list(TABLES["sanity_summary"]))
    if not table.empty:
        table = table.sort_values(
            ["model", "method", "depth"],
            key=lambda c: c.map(method_rank) if c.name == "method" else c,
        )
    return check_columns(table.reset_index(drop=True), "sanity_summary")


def depth_labels(names: Sequence[str]) -> list[str]:
    """Column titles of the figure: ``trained``, then ``+ <group>`` for each randomised depth
    (cumulative), the blocks' common leading path left out where two parts remain
    (``network._blocks.15`` -> ``_blocks.15``; ``layer4.1`` stays)."""
    blocks = [name.split(".") for name in names if name != "head"]
    common: list[str] = blocks[0][:-2] if blocks else []
    for parts in blocks[1:]:
        length = 0
        while length < min(len(common), len(parts) - 2) and common[length] == parts[length]:
            length += 1
        common = common[:length]
    prefix = ".".join(common) + "." if common else ""
    return ["trained"] + [f"+ {name.replace(prefix, '')}" for name in names]


def draw_sanity(
    heatmaps: Mapping[tuple[str, str, str, int], np.ndarray],
    images: Mapping[str, np.ndarray],
    depth_names: Mapping[str, Sequence[str]],
    outputs: Sequence[str | Path],
    boxes: Mapping[str, Sequence[Sequence[float]]] | None = None,
) -> None:
    """Rows: model x image x method; columns: the trained model, then each randomised depth
    (``depth_names[model]``: the group randomised at depth 1, 2, ...); each cell the method's
    heatmap (``heatmaps[(model, image_id, method, depth)]``, depth 0 the trained model) over
    the image, with the human ``boxes``."""
    boxes = boxes or {}
    rows = sorted(
        {(model, image_id, method) for model, image_id, method, _ in heatmaps},
        key=lambda r: (r[0], r[1], method_rank(r[2])),
    )
    n_depths = max((len(names) for names in depth_names.values()), default=0) + 1
    n_rows, n_cols = max(len(rows), 1), n_depths
    figure, axes = plt.subplots(
        n_rows, n_cols, figsize=grid_size(n_rows, n_cols), squeeze=False, layout="constrained"
    )
    drawn = None
    for r, (model, image_id, method) in enumerate(rows):
        titles = depth_labels(list(depth_names.get(model, ())))
        for depth in range(n_cols):
            axis = axes[r, depth]
            heat = heatmaps.get((model, image_id, method, depth))
            if heat is None:
                axis.set_axis_off()
                continue
            artist = draw_heatmap(axis, images[image_id], heat, boxes.get(image_id, ()))
            drawn = artist or drawn
            if r == 0 or rows[r - 1][0] != model:
                axis.set_title(titles[depth], fontsize=FONT_SIZE)
        axes[r, 0].set_ylabel(
            f"{method_spec(method).display_name}\n{image_id}",
            fontsize=FONT_SIZE,
            rotation=0,
            ha="right",
            va="center",
        )
    if not rows:
        axes[0, 0].text(0.5, 0.5, "no image explained", ha="center", va="center")
        axes[0, 0].set_axis_off()
    if drawn is not None:
        heat_colorbar(figure, drawn, axes)
    for out in outputs:
        with atomic_path(out) as target:
            figure.savefig(target, dpi=DPI)
    plt.close(figure)
