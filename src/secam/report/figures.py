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
from matplotlib.patches import Rectangle
from skimage.segmentation import find_boundaries

from secam.artifacts import atomic_path, read_arrays, read_table
from secam.classes import imagenet_classes, predicted_label
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.report.ordering import describe, method_rank, selection_rank

DISPLAY_WIDTH = 320  # pixels; cells are thumbnails, the masks are resized with the image


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
    ) -> list[ExampleCell]:
        """The cells of ``image_ids``: ``explanations`` and ``masks`` map the same keys (say
        model, method, shard) to an explanation table and its masks."""
        wanted = set(image_ids)
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
            for row in table.itertuples():
                cells.append(
                    cls(
                        row.model,
                        row.image_id,
                        row.method,
                        row.selection,
                        arrays[f"{row.image_id}/{row.selection}"],
                        float(row.seconds),
                        predicted[(row.model, row.image_id)],
                    )
                )
        return cells


def _thumbnail(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    step = max(1, int(np.ceil(image.shape[1] / DISPLAY_WIDTH)))
    return image[::step, ::step], mask[::step, ::step], float(step)


def draw_examples(cells: Sequence[ExampleCell], manifest: pd.DataFrame, out: str | Path) -> None:
    """Rows: method x selection; columns: model x image; each cell the explanation and its time."""
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
        n_rows, n_cols, figsize=(2.3 * n_cols + 1.6, 1.9 * n_rows + 0.6), squeeze=False
    )
    for c, (model, image_id) in enumerate(columns):
        label = classes.short_label(int(manifest.loc[image_id, "class_index"]))
        any_cell = next(v for k, v in lookup.items() if k[2:] == (model, image_id))
        title = f"{model}\nL: {label}\nP: {predicted_label(classes, any_cell.predicted)}"
        axes[0, c].set_title(title, fontsize=7)
    for r, (method, selection) in enumerate(rows):
        axes[r, 0].set_ylabel(
            describe(method, selection), fontsize=7, rotation=0, ha="right", va="center"
        )
        for c, (model, image_id) in enumerate(columns):
            axis = axes[r, c]
            axis.set_xticks([])
            axis.set_yticks([])
            cell = lookup.get((method, selection, model, image_id))
            if cell is None:
                axis.set_facecolor("0.9")
                axis.text(
                    0.5, 0.5, "n/a", ha="center", va="center", fontsize=7, transform=axis.transAxes
                )
                continue
            image, mask, step = _thumbnail(images[image_id], cell.mask)
            shown = np.where(mask[..., None], image, (image * 0.3).astype(np.uint8))
            shown[find_boundaries(mask, mode="inner")] = (255, 220, 0)
            axis.imshow(shown)
            for xmin, ymin, xmax, ymax in manifest.loc[image_id, "boxes"]:
                axis.add_patch(
                    Rectangle(
                        (xmin / step - 0.5, ymin / step - 0.5),
                        (xmax - xmin + 1) / step,
                        (ymax - ymin + 1) / step,
                        fill=False,
                        edgecolor="lime",
                        linewidth=0.8,
                        linestyle="--",
                    )
                )
            axis.set_xlabel(f"Time: {cell.seconds:.3g} s", fontsize=7)
    figure.tight_layout()
    with atomic_path(out) as target:
        figure.savefig(target, dpi=110)
    plt.close(figure)
