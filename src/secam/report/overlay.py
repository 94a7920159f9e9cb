"""One explanation drawn over its image, with superpixel numbers as in the paper's Figure 1."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage
from skimage.segmentation import find_boundaries

from secam.artifacts import atomic_path


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
) -> None:
    """The explanation (rest darkened, outline yellow), thin superpixel borders, region numbers.

    ``mask`` None shows the segmentation alone (the paper's Figure 1). Draws into ``axis`` when
    given, else into a figure of the image's size saved to ``out``.
    """
    shown = (
        image.copy()
        if mask is None
        else np.where(mask[..., None], image, (image * 0.35).astype(np.uint8))
    )
    shown[find_boundaries(labels, mode="inner")] = (235, 235, 235)
    if mask is not None:
        outline = find_boundaries(mask, mode="inner")
        outline = ndimage.binary_dilation(outline, iterations=max(1, image.shape[1] // 300))
        shown[outline] = (255, 210, 0)
    figure = None
    if axis is None:
        height, width = image.shape[:2]
        figure, axis = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
    axis.imshow(shown)
    chosen = {int(r) for r in selected}
    for region, x, y in region_label_points(labels) if numbers else []:
        picked = region in chosen
        axis.text(
            x,
            y,
            str(region),
            ha="center",
            va="center",
            fontsize=6,
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
        axis.set_title(title, fontsize=8)
    if figure is not None:
        figure.tight_layout(pad=0.2)
        assert out is not None
        with atomic_path(out) as target:
            figure.savefig(target, dpi=100)
        plt.close(figure)
