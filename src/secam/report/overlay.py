"""Explanations drawn over their image, as every figure of the report shows them: the selected
pixels as they are and the rest darkened, the selection's outline, the human boxes dashed, a
heatmap with its colour bar; and superpixel numbers as in the paper's Figure 1."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from scipy import ndimage
from skimage.segmentation import find_boundaries

from secam.artifacts import atomic_path

# Figures are drawn at the size they are printed: at most a page's text width, in inches, with
# text no smaller than FONT_SIZE points, and saved at DPI.
PAGE_WIDTH = 7.0
FONT_SIZE = 7
DPI = 200
DISPLAY_WIDTH = 320  # pixels; grid cells show every n-th pixel of wider images (masks alike)
DARKEN = 0.35  # brightness kept outside the explanation
OUTLINE = (255, 210, 0)
SUPERPIXEL_BORDER = (235, 235, 235)
BOX_STYLE = {"fill": False, "edgecolor": "lime", "linewidth": 0.9, "linestyle": "--"}
HEAT_LABEL = "activation / its maximum"


def display_step(image: np.ndarray) -> int:
    """Every how many pixels a grid cell shows of ``image`` (1 up to DISPLAY_WIDTH wide)."""
    return max(1, int(np.ceil(image.shape[1] / DISPLAY_WIDTH)))


def explanation_image(
    image: np.ndarray, mask: np.ndarray | None, labels: np.ndarray | None = None
) -> np.ndarray:
    """``image`` with the pixels outside ``mask`` darkened and the mask's outline drawn (no
    mask: the image as it is); ``labels`` adds thin superpixel borders."""
    shown = (
        image.copy()
        if mask is None
        else np.where(mask[..., None], image, (image * DARKEN).astype(np.uint8))
    )
    if labels is not None:
        shown[find_boundaries(labels, mode="inner")] = SUPERPIXEL_BORDER
    if mask is not None:
        outline = find_boundaries(mask, mode="inner")
        outline = ndimage.binary_dilation(outline, iterations=max(1, image.shape[1] // 300))
        shown[outline] = OUTLINE
    return shown


def draw_boxes(axis: plt.Axes, boxes: Sequence[Sequence[float]], step: float = 1.0) -> None:
    """The human boxes (xmin, ymin, xmax, ymax, inclusive pixels) on an image shown at every
    ``step``-th pixel."""
    for xmin, ymin, xmax, ymax in boxes:
        axis.add_patch(
            Rectangle(
                (xmin / step - 0.5, ymin / step - 0.5),
                (xmax - xmin + 1) / step,
                (ymax - ymin + 1) / step,
                **BOX_STYLE,
            )
        )


def _cell(axis: plt.Axes) -> None:
    axis.set_xticks([])
    axis.set_yticks([])


def draw_explanation(
    axis: plt.Axes,
    image: np.ndarray,
    mask: np.ndarray | None,
    boxes: Sequence[Sequence[float]] = (),
) -> None:
    """A mask over its image (thumbnailed, see :func:`display_step`) with the human boxes."""
    step = display_step(image)
    thumbnail = image[::step, ::step]
    axis.imshow(explanation_image(thumbnail, None if mask is None else mask[::step, ::step]))
    draw_boxes(axis, boxes, step)
    _cell(axis)


def draw_heatmap(
    axis: plt.Axes,
    image: np.ndarray,
    heat: np.ndarray | None,
    boxes: Sequence[Sequence[float]] = (),
) -> AxesImage | None:
    """A heatmap (its positive part over its maximum, so every map shares one 0-1 colour bar)
    over its image with the human boxes; returns the heatmap's artist for :func:`heat_colorbar`,
    None when there is no map."""
    step = display_step(image)
    axis.imshow(image[::step, ::step])
    drawn = None
    if heat is not None:
        positive = np.clip(heat[::step, ::step], 0, None)
        peak = float(positive.max())
        drawn = axis.imshow(
            positive / peak if peak > 0 else positive, cmap="jet", alpha=0.45, vmin=0, vmax=1
        )
    draw_boxes(axis, boxes, step)
    _cell(axis)
    return drawn


def heat_colorbar(figure: plt.Figure, heat: AxesImage, axes: plt.Axes | Sequence[plt.Axes]) -> None:
    """The colour bar of :func:`draw_heatmap`'s maps, beside ``axes``."""
    bar = figure.colorbar(heat, ax=axes, fraction=0.046, pad=0.02, shrink=0.9)
    bar.set_label(HEAT_LABEL, fontsize=FONT_SIZE)
    bar.ax.tick_params(labelsize=FONT_SIZE)


def region_label_points(labels: np.ndarray) -> list[tuple[int, float, float]]:
    """(region, x, y): for each superpixel the pixel deepest inside it, where a number fits."""
    points = []
    for region in range(int(labels.max()) + 1):
        inside = labels == region
        if not inside.any():
            continue
        rows, cols = np.nonzero(inside)
        top, left = rows.min(), cols.min()
        crop = inside[top : rows.max() + 1, left : cols.max() + 1]
        depth = ndimage.distance_transform_edt(np.pad(crop, 1))[1:-1, 1:-1]
        y, x = np.unravel_index(int(depth.argmax()), depth.shape)
        points.append((region, float(left + x), float(top + y)))
    return points


def draw_overlay(
    image: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray | None,
    selected: np.ndarray,
    out: str | Path | None = None,
    title: str = "",
    axis: plt.Axes | None = None,
    numbers: bool = True,
    boxes: Sequence[Sequence[float]] = (),
) -> None:
    """The explanation (:func:`explanation_image`), thin superpixel borders, region numbers and
    the human ``boxes``.

    ``mask`` None shows the segmentation alone (the paper's Figure 1). Draws into ``axis`` when
    given, else into a figure of the image's size saved to ``out``.
    """
    shown = explanation_image(image, mask, labels)
    figure = None
    if axis is None:
        height, width = image.shape[:2]
        figure, axis = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
    axis.imshow(shown)
    draw_boxes(axis, boxes)
    chosen = {int(r) for r in selected}
    for region, x, y in region_label_points(labels) if numbers else []:
        picked = region in chosen
        axis.text(
            x,
            y,
            str(region),
            ha="center",
            va="center",
            fontsize=FONT_SIZE,
            color="black" if picked else "white",
            fontweight="bold" if picked else "normal",
            bbox={
                "boxstyle": "round,pad=0.1",
                "ec": "none",
                "fc": (1, 0.82, 0) if picked else (0, 0, 0, 0.4),
            },
        )
    axis.set_axis_off()
    if title:
        axis.set_title(title, fontsize=FONT_SIZE + 1)
    if figure is not None:
        figure.tight_layout(pad=0.2)
        assert out is not None
        with atomic_path(out) as target:
            figure.savefig(target, dpi=100)
        plt.close(figure)
