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
    mask: np.ndarray,
    selected: np.ndarray,
    out: str | Path,
    title: str = "",
) -> None:
    """The explanation (rest darkened, outline yellow), thin superpixel borders, region numbers."""
    shown = np.where(mask[..., None], image, (image * 0.35).astype(np.uint8))
    shown[find_boundaries(labels, mode="inner")] = (235, 235, 235)
    outline = find_boundaries(mask, mode="inner")
    outline = ndimage.binary_dilation(outline, iterations=max(1, image.shape[1] // 300))
    shown[outline] = (255, 210, 0)
    height, width = image.shape[:2]
    figure, axis = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
    axis.imshow(shown)
    chosen = {int(r) for r in selected}
    for region, x, y in region_label_points(labels):
        axis.text(
            x,
            y,
            str(region),
            ha="center",
            va="center",
            fontsize=6,
            color="black" if region in chosen else "white",
            fontweight="bold" if region in chosen else "normal",
            bbox={
                "boxstyle": "round,pad=0.1",
                "fc": (1, 0.82, 0) if region in chosen else (0, 0, 0, 0.4),
                "ec": "none",
            },
        )
    axis.set_axis_off()
    if title:
        axis.set_title(title, fontsize=8)
    figure.tight_layout(pad=0.2)
    with atomic_path(out) as target:
        figure.savefig(target, dpi=100)
    plt.close(figure)
