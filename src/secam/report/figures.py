"""The example grid in the style of the paper's Table II."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from secam.artifacts import atomic_path, read_arrays, read_table
from secam.classes import imagenet_classes, predicted_label
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.report.ordering import describe, method_rank, selection_rank
from secam.report.overlay import DPI, FONT_SIZE, PAGE_WIDTH, draw_explanation
from secam.report.tables import charged_segmentation_seconds


@dataclass
class ExampleCell:
    model: str
    image_id: str
    method: str
    selection: str
    mask: np.ndarray
    seconds: float
    predicted: int

    @classmethod
    def gather(
        cls,
        manifest: pd.DataFrame,
        image_ids: Sequence[str],
        explanations: Mapping[tuple[str, ...], str],
        masks: Mapping[tuple[str, ...], str],
        predictions: Iterable[str],
        segmentation_seconds: Mapping[str, float] | None = None,
    ) -> list[ExampleCell]:
        """The cells of ``image_ids``: ``explanations`` and ``masks`` map the same keys (say
        model, method, shard) to an explanation table and its masks. A cell's time is end to
        end, as in Table I: methods built on superpixels (SeCAM, LIME) are charged their image's
        ``segmentation_seconds`` (image id -> seconds; none charged when not given)."""
        wanted = set(image_ids)
        segmentation_seconds = segmentation_seconds or {}
        predicted: dict[tuple[str, str], int] = {}
        for path in predictions:
            table = read_table(path, "predictions")
            for row in table.itertuples():
                predicted[(row.model, row.image_id)] = int(row.predicted_index)
        cells = []
        for key, table_path in explanations.items():
            table = read_table(table_path, "explanations")
            table = table[table["image_id"].isin(wanted)]
            if table.empty:
                continue
            arrays = read_arrays(masks[key])
            shared = table["image_id"].map(segmentation_seconds).fillna(0.0)
            charged = charged_segmentation_seconds(table.assign(segmentation_seconds=shared))
            for row, segmentation in zip(table.itertuples(), charged, strict=True):
                cells.append(
                    cls(
                        row.model,
                        row.image_id,
                        row.method,
                        row.selection,
                        arrays[f"{row.image_id}/{row.selection}"],
                        float(row.seconds + segmentation),
                        predicted[(row.model, row.image_id)],
                    )
                )
        return cells


def grid_size(n_rows: int, n_cols: int, label_width: float = 1.1) -> tuple[float, float]:
    """Inches of a grid of image cells with row labels ``label_width`` wide: at most a page
    wide (cells narrower than :data:`CELL_WIDTH` when many columns), each row a cell's height
    plus a line of text."""
    cell = min(CELL_WIDTH, (PAGE_WIDTH - label_width) / max(n_cols, 1))
    return label_width + cell * n_cols, (cell * 0.75 + 0.25) * n_rows + 0.6


CELL_WIDTH = 1.5  # inches: a grid cell's widest


def draw_examples(
    cells: Sequence[ExampleCell], manifest: pd.DataFrame, outputs: Sequence[str | Path]
) -> None:
    """Rows: method x selection; columns: model x image; each cell the explanation, the human
    boxes and its time."""
    classes = imagenet_classes()
    rows = sorted(
        {(c.method, c.selection) for c in cells},
        key=lambda r: (method_rank(r[0]), selection_rank(r[1])),
    )
    columns = sorted({(c.model, c.image_id) for c in cells})
    lookup = {(c.method, c.selection, c.model, c.image_id): c for c in cells}
    images = {
        i: load_rgb(ImageSource.from_row(manifest.loc[i])) for i in {c.image_id for c in cells}
    }

    n_rows, n_cols = max(len(rows), 1), max(len(columns), 1)
    figure, axes = plt.subplots(
        n_rows, n_cols, figsize=grid_size(n_rows, n_cols), squeeze=False, layout="constrained"
    )
    # One model: its name once above the grid, since repeated over narrow columns the long
    # names run into each other.
    models = sorted({model for model, _ in columns})
    if len(models) == 1:
        figure.suptitle(models[0], fontsize=FONT_SIZE)
    for c, (model, image_id) in enumerate(columns):
        label = classes.short_label(int(manifest.loc[image_id, "class_index"]))
        any_cell = next(v for k, v in lookup.items() if k[2:] == (model, image_id))
        lines = [f"L: {label}", f"P: {predicted_label(classes, any_cell.predicted)}"]
        title = "\n".join(lines if len(models) == 1 else [model, *lines])
        axes[0, c].set_title(title, fontsize=FONT_SIZE)
    for r, (method, selection) in enumerate(rows):
        axes[r, 0].set_ylabel(
            describe(method, selection).replace(" (", "\n("),
            fontsize=FONT_SIZE,
            rotation=0,
            ha="right",
            va="center",
        )
        for c, (model, image_id) in enumerate(columns):
            axis = axes[r, c]
            axis.set_xticks([])
            axis.set_yticks([])
            cell = lookup.get((method, selection, model, image_id))
            if cell is None:
                axis.set_facecolor("0.9")
                axis.text(
                    0.5,
                    0.5,
                    "n/a",
                    ha="center",
                    va="center",
                    fontsize=FONT_SIZE,
                    transform=axis.transAxes,
                )
                continue
            draw_explanation(axis, images[image_id], cell.mask, manifest.loc[image_id, "boxes"])
            axis.set_xlabel(f"Time: {cell.seconds:.3g} s", fontsize=FONT_SIZE)
    for out in outputs:
        with atomic_path(out) as target:
            figure.savefig(target, dpi=DPI)
    plt.close(figure)
