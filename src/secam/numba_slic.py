"""SLIC compiled with numba: scikit-image's algorithm, its k-means on every core of the job.

The reference is ``skimage.segmentation.slic`` (``segmentation.backend: skimage``), whose k-means
is one compiled loop over the centres on one core. This is the same algorithm, step by step,
with ``start_label=0`` as the pipeline calls it:

1. the preprocessing is skimage's, to the bit: ``img_as_float``, the stretch of the image to
   its own minimum and maximum and ``rgb2lab``'s steps (:func:`_lab`), the optional Gaussian
   smoothing, the grid of centres (``_get_grid_centroids``, colour 0) and the division by
   ``compactness``;
2. ``max_num_iter`` rounds of assignment: every pixel joins the centre of least distance among
   those whose window (two grid steps either side, skimage's bounds and truncation) holds it.
   The distance is skimage's, written in its order of operations, in float64: the squared
   offsets times 1 / step^2 (step a float32, as skimage's signature makes it), plus the squared
   colour difference. The image's rows are assigned in parallel (``numba.prange``); within a
   row the centres come in increasing index and only a strictly smaller distance replaces the
   one found, so ties go to the lower index, as in skimage's loop over centres. A pixel that no
   window holds keeps its centre;
3. after each assignment but the last, each centre moves to the mean position and colour of its
   pixels, summed in raster order on one thread: the order of a floating-point sum decides its
   last bits, and skimage sums in raster order. A centre left without pixels is dead (skimage's
   0 / 0 makes it NaN, and a NaN distance never wins);
4. the connectivity step is skimage's own compiled function (:mod:`secam.slic_connectivity`).

Each pixel's centre depends only on its row's work, never on which thread did it, so the labels
are the same whatever the number of threads; ``tests/test_numba_slic.py`` holds them equal to
skimage's. The compiled functions are cached on disk (``cache=True``): a machine compiles them
once, and every later process loads them (benchmarks/bench_segmentation.py measures both).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from skimage._shared.filters import gaussian
from skimage.color.colorconv import xyz_from_rgb as XYZ_FROM_RGB
from skimage.color.colorconv import xyz_tristimulus_values
from skimage.segmentation.slic_superpixels import _get_grid_centroids
from skimage.util import img_as_float, regular_grid

from secam.config import default
from secam.errors import InputError
from secam.slic_connectivity import connected_superpixels

# what skimage's distances start from each round (C's DBL_MAX)
_FARTHEST = np.finfo(np.float64).max


def slic(
    image: np.ndarray,
    n_segments: int = default("segmentation", "n_segments"),
    compactness: float = default("segmentation", "compactness"),
    sigma: float = default("segmentation", "sigma"),
    max_num_iter: int = 10,
) -> np.ndarray:
    """Superpixels of an (H, W, 3) uint8 image as an (H, W) int array labelled 0..n-1: the
    labels of ``skimage.segmentation.slic(image, n_segments, compactness, max_num_iter, sigma,
    start_label=0)``."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(f"expected an (H, W, 3) uint8 image, got {image.dtype} {image.shape}")
    if max_num_iter < 1:
        raise InputError("max_num_iter must be at least 1")
    if compactness <= 0:
        raise InputError("compactness must be positive")
    planes, centres, step = _prepared(image, n_segments, compactness, sigma)
    half_y, half_x, weight = _window(image.shape[0], image.shape[1], centres.shape[0], step)
    labels = _kmeans(planes, centres, half_y, half_x, weight, max_num_iter)
    return connected_superpixels(labels[0], centres.shape[0])


def warm_up() -> None:
    """Compile the backend's functions now, or load them from the disk cache: the first call's
    one-time cost (docs/performance.md), which the segment stage charges to no image. A small
    image takes every compiled path a photograph takes: the functions' argument types do not
    depend on the image."""
    ramp = np.arange(32 * 32 * 3, dtype=np.uint32).reshape(32, 32, 3) % 256
    slic(ramp.astype(np.uint8), n_segments=4)


def _window(height: int, width: int, count: int, step: float) -> tuple[int, int, float]:
    """skimage's search window, half its height and width, and the weight of the squared
    spatial offsets: the window comes from a grid for the ``count`` centres actually placed."""
    windows = regular_grid((1, height, width), count)
    half_y, half_x = (2 * int(s.step if s.step is not None else 1) for s in windows[1:])
    spatial = np.float32(step)
    weight = 1.0 / float(spatial * spatial)  # float32 product, double quotient, as in skimage
    return half_y, half_x, weight


def _prepared(
    image: np.ndarray, n_segments: int, compactness: float, sigma: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """skimage's preprocessing of an RGB image: the CIELAB features divided by ``compactness``
    as three (H, W) planes, (3, H, W), the (K, 5) centres (y, x, L, a, b; colour 0) and the
    grid step. Planes, not skimage's (H, W, 3), so that a row of each channel is contiguous."""
    lab = _lab(image)[np.newaxis]  # (1, H, W, 3): skimage's depth axis
    grid, steps = _get_grid_centroids(lab, n_segments)
    if sigma > 0:
        lab = gaussian(lab, sigma=[sigma, sigma, sigma, 0], mode="reflect")
    planes = np.empty((3, *lab.shape[1:3]), dtype=np.float64)
    np.multiply(np.moveaxis(lab[0], -1, 0), 1.0 / compactness, out=planes)
    centres = np.zeros((grid.shape[0], 5), dtype=np.float64)
    centres[:, :2] = grid[:, 1:]  # (z, y, x) -> (y, x); z is 0 in a 2-D image
    return planes, centres, float(max(steps))


def _lab(image: np.ndarray) -> np.ndarray:
    """skimage's CIELAB of a uint8 RGB image stretched to its own range, to the bit, at a
    fraction of its cost: every step before the colour matrix acts on each value alone, so it
    runs on the 256 levels a uint8 holds (skimage's own functions, the same numpy operations)
    and the image looks its levels up; the matrix product is skimage's call on the same array;
    after it, the same elementwise numpy operations on whole arrays instead of masked parts
    (numpy's own cube root: numba's differs in the last bit)."""
    levels = img_as_float(np.arange(256, dtype=np.uint8)).astype(np.float64, copy=True)
    low, high = levels[image.min()], levels[image.max()]  # the image's min and max, as floats
    levels -= low
    if high != low:
        levels /= high - low
    curved = levels > 0.04045  # sRGB's gamma, as skimage.color.rgb2xyz
    linear = levels.copy()
    linear[curved] = np.power((levels[curved] + 0.055) / 1.055, 2.4)
    linear[~curved] /= 12.92
    rgb = linear[image][np.newaxis]
    xyz = rgb @ XYZ_FROM_RGB.T.astype(rgb.dtype)
    xyz = xyz / xyz_tristimulus_values(illuminant="D65", observer="2", dtype=xyz.dtype)
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    x, y, z = f[0, ..., 0], f[0, ..., 1], f[0, ..., 2]
    return np.stack(((116.0 * y) - 16.0, 500.0 * (x - y), 200.0 * (y - z)), axis=-1)


@njit(cache=True)
def _kmeans(
    planes: np.ndarray,
    centres: np.ndarray,
    half_y: int,
    half_x: int,
    weight: float,
    rounds: int,
) -> np.ndarray:
    """(1, H, W) index of each pixel's centre after ``rounds`` assignments (steps 2 and 3), in
    skimage's (depth, height, width) layout."""
    height, width = planes.shape[1], planes.shape[2]
    labels = np.full((1, height, width), -1, dtype=np.intp)
    alive = np.ones(centres.shape[0], dtype=np.bool_)
    for round_ in range(rounds):
        _assign(planes, centres, alive, half_y, half_x, weight, labels[0])
        if round_ + 1 < rounds:
            _move_centres(planes, labels[0], centres, alive)
    return labels


@njit(parallel=True, cache=True)
def _assign(
    planes: np.ndarray,
    centres: np.ndarray,
    alive: np.ndarray,
    half_y: int,
    half_x: int,
    weight: float,
    labels: np.ndarray,
) -> None:
    """Step 2 in place on ``labels``: the rows in parallel, each row's centres in index order.

    The loop over a centre's window reads slices of the row indexed from 0, one plane per
    channel. Indexed by the window's own x, numba checks each index for a negative value
    (Python's wrap-around), and that check kept LLVM from vectorising the loop: no vector
    instruction in its machine code. Written so, the loop runs on the vector units, each
    pixel's operations, and so the distances' bits, unchanged (the gain, and the planes' share
    of it, in docs/performance.md).
    """
    height, width = labels.shape
    count = centres.shape[0]
    top = np.empty(count, dtype=np.intp)
    bottom = np.empty(count, dtype=np.intp)
    left = np.empty(count, dtype=np.intp)
    right = np.empty(count, dtype=np.intp)
    for k in range(count):
        if alive[k]:
            # skimage: <Py_ssize_t>max(c - 2 step, 0) and <Py_ssize_t>min(c + 2 step + 1, size)
            top[k] = int(max(centres[k, 0] - half_y, 0.0))
            bottom[k] = int(min(centres[k, 0] + half_y + 1, float(height)))
            left[k] = int(max(centres[k, 1] - half_x, 0.0))
            right[k] = int(min(centres[k, 1] + half_x + 1, float(width)))
        else:
            top[k], bottom[k], left[k], right[k] = 0, 0, 0, 0
    for y in prange(height):
        nearest = np.full(width, _FARTHEST)
        for k in range(count):
            if y < top[k] or y >= bottom[k]:
                continue
            dy = centres[k, 0] - y
            dy *= dy
            cx, lightness, green_red, blue_yellow = (
                centres[k, 1],
                centres[k, 2],
                centres[k, 3],
                centres[k, 4],
            )
            first, end = left[k], right[k]
            best = nearest[first:end]
            label = labels[y, first:end]
            channel_l = planes[0, y, first:end]
            channel_a = planes[1, y, first:end]
            channel_b = planes[2, y, first:end]
            for i in range(end - first):
                dx = cx - (first + i)
                dx *= dx
                distance = (dy + dx) * weight
                t = channel_l[i] - lightness
                colour = t * t
                t = channel_a[i] - green_red
                colour += t * t
                t = channel_b[i] - blue_yellow
                colour += t * t
                distance += colour
                if best[i] > distance:
                    best[i] = distance
                    label[i] = k


@njit(cache=True)
def _move_centres(
    planes: np.ndarray, labels: np.ndarray, centres: np.ndarray, alive: np.ndarray
) -> None:
    """Step 3 in place: each centre's mean position and colour, summed in raster order."""
    count = centres.shape[0]
    sums = np.zeros((count, 5), dtype=np.float64)
    members = np.zeros(count, dtype=np.intp)
    height, width = labels.shape
    for y in range(height):
        for x in range(width):
            k = labels[y, x]
            if k < 0:
                continue
            members[k] += 1
            sums[k, 0] += y
            sums[k, 1] += x
            sums[k, 2] += planes[0, y, x]
            sums[k, 3] += planes[1, y, x]
            sums[k, 4] += planes[2, y, x]
    for k in range(count):
        if members[k] == 0:
            alive[k] = False
            continue
        for c in range(5):
            centres[k, c] = sums[k, c] / members[k]
