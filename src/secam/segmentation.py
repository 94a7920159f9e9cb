"""Block 2: superpixels. One label image per image, shared by SeCAM and LIME."""

from __future__ import annotations

import numpy as np
from skimage.segmentation import relabel_sequential, slic

ALGORITHMS = ("slic",)


def segment(
    image: np.ndarray,
    algorithm: str = "slic",
    n_segments: int = 50,
    compactness: float = 10.0,
    sigma: float = 0.0,
) -> np.ndarray:
    """Superpixels of an (H, W, 3) uint8 image as an (H, W) int32 array labelled 0..n-1."""
    if algorithm != "slic":
        raise ValueError(f"unknown segmentation algorithm {algorithm!r}; one of {ALGORITHMS}")
    labels = slic(
        image,
        n_segments=n_segments,
        compactness=compactness,
        sigma=sigma,
        start_label=0,
        channel_axis=-1,
    )
    # SLIC can leave gaps in the label range after enforcing connectivity; region ids must be
    # 0..n-1 so that they index score vectors directly.
    labels, _, _ = relabel_sequential(labels)
    return labels.astype(np.int32)
