"""The paper's own table and figures: Table I, Figure 1, Figure 2 and Figures 3-5.

- Table I: LIME against CAM (and SeCAM) running time on one image, per model.
- Figure 1: a segmented image with each superpixel's number at its centre.
- Figure 2: input, LIME and CAM side by side, one row per model.
- Figures 3-5: CAM against SeCAM on images the model gets wrong (prediction != label), picked
  automatically, showing what drove the wrong class.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from secam.artifacts import atomic_path, open_arrays_until_closed, read_table
from secam.classes import imagenet_classes, predicted_label
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.report.figures import grid_size
from secam.report.overlay import (
    DPI,
    FONT_SIZE,
    PAGE_WIDTH,
    draw_explanation,
    draw_heatmap,
    draw_overlay,
    heat_colorbar,
)
from secam.report.tables import end_to_end_seconds
from secam.selection import SHOWN
from secam.table_columns import TABLES, check_columns

# Shard archives RunData keeps open, the most recently used ones; each array is read from its
# archive when asked for. The figures' images come from any shard, and reading whole archives
# (a shard's masks of one method: thousands of arrays) made the paper figures' memory grow with
# the run (docs/performance.md#scaling).
OPEN_ARCHIVES = 16


@dataclass
class RunData:
    """Lazy access to a finished run's per-shard artifacts, given as mappings from what a file
    holds to its path: ``segments`` (the superpixel labels) keyed by ``(shard,)``, ``maps`` and
    ``predictions_files`` by ``(model, shard)``, ``masks`` by ``(model, method, shard)``.
    """

    manifest: pd.DataFrame
    segments: Mapping[tuple[str], str | Path] = field(default_factory=dict)
    maps: Mapping[tuple[str, str], str | Path] = field(default_factory=dict)
    predictions_files: Mapping[tuple[str, str], str | Path] = field(default_factory=dict)
    masks: Mapping[tuple[str, str, str], str | Path] = field(default_factory=dict)
    _archives: OrderedDict[Path, Mapping[str, np.ndarray]] = field(default_factory=OrderedDict)
    _predictions: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rows = self.manifest.set_index("image_id")

    def _npz(self, path: str | Path | None) -> Mapping[str, np.ndarray]:
        if path is None:
            return {}
        path = Path(path)
        if path in self._archives:
            self._archives.move_to_end(path)
        else:
            self._archives[path] = open_arrays_until_closed(path)
            if len(self._archives) > OPEN_ARCHIVES:
                self._archives.popitem(last=False)[1].close()
        return self._archives[path]

    def row(self, image_id: str) -> pd.Series:
        return self._rows.loc[image_id]

    def image(self, image_id: str) -> np.ndarray:
        return load_rgb(ImageSource.from_row(self.row(image_id)))

    def labels(self, image_id: str) -> np.ndarray:
        shard = self.row(image_id)["shard"]
        return self._npz(self.segments.get((shard,)))[image_id]

    def heatmap(self, model: str, image_id: str, source: str = "cam") -> np.ndarray | None:
        row = self.row(image_id)
        grid = self._npz(self.maps.get((model, row["shard"]))).get(f"{source}/{image_id}")
        if grid is None:
            return None
        # Imported here so that the table-only report jobs never pay torch's import.
        from secam.regions import upsample

        return upsample(grid, (int(row["height"]), int(row["width"]))).numpy()

    def mask(self, model: str, method: str, image_id: str, selection: str) -> np.ndarray | None:
        shard = self.row(image_id)["shard"]
        masks = self._npz(self.masks.get((model, method, shard)))
        return masks.get(f"{image_id}/{selection}")

    def predictions(self, model: str) -> pd.DataFrame:
        """The model's predictions of every shard, read once."""
        if model not in self._predictions:
            self._predictions[model] = self._read_predictions(model)
        return self._predictions[model]

    def _read_predictions(self, model: str) -> pd.DataFrame:
        frames = [
            read_table(path, "predictions")
            for (file_model, _), path in self.predictions_files.items()
            if file_model == model
        ]
        frames = [f for f in frames if not f.empty]
        return pd.concat(frames).set_index("image_id") if frames else pd.DataFrame()


def table_one(timings: pd.DataFrame) -> pd.DataFrame:
    """Per model: the first image LIME explained, and LIME's, CAM's and SeCAM's times on it,
    without and with the segmentation that LIME and SeCAM share (the ratios end to end)."""
    rows = []
    for model, group in timings.groupby("model"):
        lime = group[group["method"] == "lime"].sort_values("image_id")
        if lime.empty:
            continue
        image_id = lime.iloc[0]["image_id"]
        on_image = group[group["image_id"] == image_id].set_index("method")
        times = on_image["total_seconds"]
        whole = end_to_end_seconds(on_image.reset_index()).set_axis(on_image.index)
        cam_s = float(times.get("cam", np.nan))
        rows.append(
            {
                "model": model,
                "image_id": image_id,
                "lime_seconds": float(times["lime"]),
                "cam_seconds": cam_s,
                "secam_seconds": float(times.get("secam", np.nan)),
                "segmentation_seconds": float(on_image.loc["lime", "segmentation_seconds"]),
                "lime_total_seconds": float(whole["lime"]),
                "secam_total_seconds": float(whole.get("secam", np.nan)),
                "lime_over_cam": float(whole["lime"]) / cam_s,
                "lime_over_secam": float(whole["lime"]) / float(whole.get("secam", np.nan)),
            }
        )
    return check_columns(pd.DataFrame(rows, columns=list(TABLES["table_one"])), "table_one")


def _save(figure: plt.Figure, outputs: Sequence[str | Path]) -> None:
    if figure.get_layout_engine() is None:
        figure.tight_layout()
    for out in outputs:
        with atomic_path(out) as target:
            figure.savefig(target, dpi=DPI)
    plt.close(figure)


def _placeholder(text: str, outputs: Sequence[str | Path]) -> None:
    figure, axis = plt.subplots(figsize=(PAGE_WIDTH / 2, 1))
    axis.text(0.5, 0.5, text, ha="center", va="center", fontsize=FONT_SIZE + 1, wrap=True)
    axis.set_axis_off()
    _save(figure, outputs)


def _boxes(data: RunData, image_id: str) -> list:
    return list(data.row(image_id)["boxes"])


def _mask_cell(
    axis: plt.Axes, data: RunData, image_id: str, mask: np.ndarray | None, title: str
) -> None:
    draw_explanation(axis, data.image(image_id), mask, _boxes(data, image_id))
    axis.set_title(title if mask is not None else f"{title}: n/a", fontsize=FONT_SIZE)


def figure_one(data: RunData, outputs: Sequence[str | Path]) -> None:
    if data.manifest.empty:
        _placeholder("no image in this run", outputs)
        return
    image_id = sorted(data.manifest["image_id"])[0]
    image = data.image(image_id)
    figure, axis = plt.subplots(figsize=(image.shape[1] / 80, image.shape[0] / 80))
    draw_overlay(
        image,
        data.labels(image_id),
        None,
        np.zeros(0, int),
        axis=axis,
        title=f"{image_id}: {int(data.labels(image_id).max()) + 1} superpixels",
    )
    _save(figure, outputs)


def figure_two(
    data: RunData, models: Sequence[str], lime_ids: Sequence[str], outputs: Sequence[str | Path]
) -> None:
    """Input, LIME and CAM side by side for the first image LIME explained, per model."""
    if not lime_ids:
        _placeholder("LIME explained no image in this run", outputs)
        return
    image_id = sorted(lime_ids)[0]
    image, boxes = data.image(image_id), _boxes(data, image_id)
    figure, axes = plt.subplots(
        len(models),
        3,
        figsize=(PAGE_WIDTH, 1.9 * len(models) + 0.2),
        squeeze=False,
        layout="constrained",
    )
    for row, model in enumerate(models):
        draw_explanation(axes[row, 0], image, None, boxes)
        axes[row, 0].set_title(f"{model}: input", fontsize=FONT_SIZE)
        _mask_cell(
            axes[row, 1],
            data,
            image_id,
            data.mask(model, "lime", image_id, SHOWN.name),
            f"LIME ({SHOWN.name})",
        )
        heat = draw_heatmap(axes[row, 2], image, data.heatmap(model, image_id, "cam"), boxes)
        axes[row, 2].set_title("CAM" if heat is not None else "CAM: n/a", fontsize=FONT_SIZE)
        if heat is not None:
            heat_colorbar(figure, heat, axes[row, 2])
    _save(figure, outputs)


def misclassified(data: RunData, model: str, count: int = 3) -> list[str]:
    """The first ``count`` images (by id) whose top-1 prediction is not the label."""
    predictions = data.predictions(model)
    if predictions.empty:
        return []
    labels = data.manifest.set_index("image_id")["class_index"]
    wrong = [
        i
        for i in sorted(predictions.index)
        if int(predictions.loc[i, "predicted_index"]) != int(labels[i])
    ]
    return wrong[:count]


def figure_misclassified(
    data: RunData, model: str, image_id: str | None, outputs: Sequence[str | Path]
) -> None:
    """Input, CAM and SeCAM for one image the model gets wrong."""
    if image_id is None:
        _placeholder(f"{model} classified every image of this run correctly", outputs)
        return
    classes = imagenet_classes()
    image = data.image(image_id)
    predicted = int(data.predictions(model).loc[image_id, "predicted_index"])
    label = int(data.row(image_id)["class_index"])
    boxes = _boxes(data, image_id)
    figure, axes = plt.subplots(1, 3, figsize=(PAGE_WIDTH, 2.6), layout="constrained")
    draw_explanation(axes[0], image, None, boxes)
    axes[0].set_title(
        f"{image_id}\nL: {classes.short_label(label)} / P: {predicted_label(classes, predicted)}",
        fontsize=FONT_SIZE,
    )
    heat = draw_heatmap(axes[1], image, data.heatmap(model, image_id, "cam"), boxes)
    axes[1].set_title(f"CAM ({model})" if heat is not None else "CAM: n/a", fontsize=FONT_SIZE)
    if heat is not None:
        heat_colorbar(figure, heat, axes[1])
    labels = data.labels(image_id)
    mask = data.mask(model, "secam", image_id, SHOWN.name)
    if mask is None:
        _mask_cell(axes[2], data, image_id, None, "SeCAM")
    else:
        draw_overlay(
            image,
            labels,
            mask,
            np.unique(labels[mask]),
            axis=axes[2],
            title=f"SeCAM ({SHOWN.name}): why {classes.short_label(predicted)}",
            boxes=boxes,
        )
        axes[2].title.set_fontsize(FONT_SIZE)
    _save(figure, outputs)


# The rows of the paper's Tables II and III: (method, selection); None = the heatmap itself.
GRID_ROWS = (
    ("lime", "top2"),
    ("lime", "top3"),
    ("lime", "top4"),
    ("cam", None),
    ("gradcam", None),
    ("secam", "top2"),
    ("secam", "top3"),
    ("secam", "top4"),
    ("secam", "thr80"),
    ("secam", "thr70"),
    ("secam", "thr60"),
)


def _grid_row_name(method: str, selection: str | None) -> str:
    display = {"lime": "LIME", "cam": "CAM", "gradcam": "Grad-CAM", "secam": "SeCAM"}[method]
    if selection is None:
        return display
    if selection.startswith("top"):
        return f"{display}\n({selection[3:]} segments)"
    return f"{display}\n({selection[3:]} % threshold)"


def explanation_grid(
    data: RunData,
    timings: pd.DataFrame,
    models: Sequence[str],
    image_ids: Sequence[str],
    outputs: Sequence[str | Path],
    empty_note: str,
) -> None:
    """The paper's Tables II/III: rows = GRID_ROWS, columns = model x image.

    Each column is headed "L: label / P: prediction"; each cell is the explanation over the image
    (selected superpixels, or the CAM / Grad-CAM heatmap) with "Time: s" beneath, end to end
    (:func:`~secam.report.tables.end_to_end_seconds`).
    """
    columns = [(model, image_id) for model in models for image_id in image_ids]
    if not columns:
        _placeholder(empty_note, outputs)
        return
    classes = imagenet_classes()
    # the explanation's whole cost, as in Table I: LIME and SeCAM charged their segmentation
    seconds = timings.assign(whole=end_to_end_seconds(timings)).set_index(
        ["model", "method", "image_id"]
    )["whole"]
    figure, axes = plt.subplots(
        len(GRID_ROWS),
        len(columns),
        figsize=grid_size(len(GRID_ROWS), len(columns), label_width=0.8),
        squeeze=False,
        layout="constrained",
    )
    images = {image_id: data.image(image_id) for image_id in image_ids}
    heat_drawn = None
    for c, (model, image_id) in enumerate(columns):
        label = classes.short_label(int(data.row(image_id)["class_index"]))
        predictions = data.predictions(model)
        predicted = (
            predicted_label(classes, int(predictions.loc[image_id, "predicted_index"]))
            if image_id in predictions.index
            else "?"
        )
        boxes = _boxes(data, image_id)
        for r, (method, selection) in enumerate(GRID_ROWS):
            axis = axes[r, c]
            image = images[image_id]
            if selection is None:
                heat = draw_heatmap(axis, image, data.heatmap(model, image_id, method), boxes)
                heat_drawn = heat_drawn or heat
                found = heat is not None
            else:
                mask = data.mask(model, method, image_id, selection)
                draw_explanation(axis, image, mask, boxes)
                found = mask is not None
            time = seconds.get((model, method, image_id))
            axis.set_xlabel(
                f"Time: {time:.3g} s" if found and time is not None else "n/a",
                fontsize=FONT_SIZE,
            )
            if c == 0:
                axis.set_ylabel(_grid_row_name(method, selection), fontsize=FONT_SIZE)
        axes[0, c].set_title(f"{model}\nL: {label}\nP: {predicted}", fontsize=FONT_SIZE)
    if heat_drawn is not None:
        # one bar for the CAM and Grad-CAM rows: every map is drawn over its own maximum
        heat_rows = [r for r, (_, selection) in enumerate(GRID_ROWS) if selection is None]
        heat_colorbar(figure, heat_drawn, axes[heat_rows, -1])
    _save(figure, outputs)
