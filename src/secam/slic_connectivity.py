"""SLIC's last step, shared by the compiled backends (numba and torch): skimage's own
connectivity function with skimage's size limits, so that both end where skimage ends.

A module of its own, free of torch and numba, because each backend needs it and neither should
import the other."""

from __future__ import annotations

import numpy as np
from skimage.segmentation._slic import _enforce_label_connectivity_cython

# skimage's defaults: pieces under half the mean superpixel size join a neighbour; its walk
# stops growing a piece at three mean sizes
MIN_SIZE_FACTOR = 0.5
MAX_SIZE_FACTOR = 3.0


def connected_superpixels(labels: np.ndarray, centres: int) -> np.ndarray:
    """skimage's connectivity step on one image's (H, W) centre indices from ``centres``
    centres: every connected piece becomes a superpixel, pieces under ``MIN_SIZE_FACTOR`` of the
    mean superpixel size join a neighbour. Labelled 0..n-1 in raster order, as skimage's."""
    height, width = labels.shape
    segment_size = height * width / centres
    pieces = np.ascontiguousarray(labels[np.newaxis], dtype=np.intp)  # skimage's depth axis
    return _enforce_label_connectivity_cython(
        pieces,
        int(MIN_SIZE_FACTOR * segment_size),
        int(MAX_SIZE_FACTOR * segment_size),
        start_label=0,
    )[0]
