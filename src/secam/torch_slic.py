"""SLIC in torch: scikit-image's algorithm, batched over images of any sizes, on any device.

The reference is ``skimage.segmentation.slic`` (``segmentation.backend: skimage``). This is the
same algorithm step by step, so that a GPU node segments on the GPU that holds the model:

1. the image as floats in [0, 1], stretched to its own minimum and maximum, then CIELAB (D65),
   optionally Gaussian-smoothed (``sigma``), divided by ``compactness``;
2. centres on skimage's regular grid (``skimage.util.regular_grid``) with colour 0;
3. ``max_num_iter`` rounds of: each pixel joins the centre of least colour + weighted spatial
   distance among those whose window (2 grid steps either side of the centre) holds it, ties
   to the lower index; each centre moves to the mean position and colour of its pixels;
4. connectivity: every 4-connected piece smaller than half the mean superpixel size joins
   a neighbour.

How it differs from skimage:

- Order of work. skimage loops over centres and the pixels of each window; here every pixel
  tries, in parallel, the centres whose window meets its tile (tiles half a grid step wide),
  in increasing index: the same candidates and the same tie rule.
- Connectivity. skimage's own compiled step, on the host: it is a walk in raster order that no
  device parallelises (the images of a batch in parallel threads).
- Arithmetic. float32 by default (skimage computes in float64 for 8-bit images); in float64
  the labels are skimage's.

Agreement with skimage and speed: ``benchmarks/bench_segmentation.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from skimage.util import regular_grid

from secam.config import default
from secam.errors import InputError
from secam.slic_connectivity import connected_superpixels

# skimage.color's sRGB -> XYZ matrix and the D65 white point (2-degree observer)
XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
D65_WHITE = (0.95047, 1.0, 1.08883)


@dataclass(frozen=True)
class _Grid:
    """skimage's initial centres of one image: rows ``ys`` x columns ``xs`` (row-major)."""

    ys: np.ndarray
    xs: np.ndarray
    spatial_weight: float  # 1 / (the largest grid step)^2
    window: tuple[int, int]  # the window's half height and width: 2 grid steps

    @classmethod
    def of(cls, height: int, width: int, n_segments: int) -> _Grid:
        slices = regular_grid((1, height, width), n_segments)
        ys = np.arange(height)[slices[1]]
        xs = np.arange(width)[slices[2]]
        step = max(float(s.step) if s.step is not None else 1.0 for s in slices)
        # skimage's assignment derives the windows from a grid for the number of centres
        # actually placed, which can differ from n_segments
        windows = regular_grid((1, height, width), len(ys) * len(xs))
        half = tuple(2 * int(s.step if s.step is not None else 1) for s in windows[1:])
        return cls(ys, xs, 1.0 / (step * step), half)  # type: ignore[arg-type]

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)


def slic(
    images: Sequence[np.ndarray],
    n_segments: int = default("segmentation", "n_segments"),
    compactness: float = default("segmentation", "compactness"),
    sigma: float = default("segmentation", "sigma"),
    max_num_iter: int = 10,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> list[np.ndarray]:
    """Superpixels of (H, W, 3) uint8 images, each as an (H, W) int32 array labelled 0..n-1,
    computed together on ``device`` (images of different sizes are padded, never resized)."""
    if max_num_iter < 1:
        raise InputError("max_num_iter must be at least 1")
    if compactness <= 0:
        raise InputError("compactness must be positive")
    if not images:
        return []
    for image in images:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"expected (H, W, 3) uint8 images, got {image.dtype} {image.shape}")
    device = torch.device(device)
    sizes = [image.shape[:2] for image in images]
    grids = [_Grid.of(h, w, n_segments) for h, w in sizes]
    features, valid = _lab_features(images, compactness, sigma, device, dtype)
    centres = _cluster(features, valid, sizes, grids, max_num_iter).cpu().numpy()
    jobs = [
        (centres[b, :h, :w], grid.count)
        for b, ((h, w), grid) in enumerate(zip(sizes, grids, strict=True))
    ]
    # skimage's connectivity step releases the GIL: the batch's images in parallel threads
    with ThreadPoolExecutor(max(1, min(len(jobs), torch.get_num_threads()))) as pool:
        connected = pool.map(lambda job: connected_superpixels(*job), jobs)
        return [labels.astype(np.int32) for labels in connected]


# ---- step 1: CIELAB features --------------------------------------------------------------


def _lab_features(
    images: Sequence[np.ndarray],
    compactness: float,
    sigma: float,
    device: torch.device,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 3, H, W) CIELAB / compactness of the images padded to a common size, and the (B, H, W)
    mask of their pixels."""
    height = max(image.shape[0] for image in images)
    width = max(image.shape[1] for image in images)
    batch = np.zeros((len(images), height, width, 3), dtype=np.uint8)
    valid = torch.zeros((len(images), height, width), dtype=torch.bool)
    for b, image in enumerate(images):
        batch[b, : image.shape[0], : image.shape[1]] = image
        valid[b, : image.shape[0], : image.shape[1]] = True
    valid = valid.to(device)
    rgb = torch.from_numpy(batch).to(device).permute(0, 3, 1, 2).to(dtype) / 255.0
    # each image stretched to its own range, over its pixels and channels, as skimage does
    inside = valid[:, None].expand_as(rgb)
    low = torch.where(inside, rgb, math.inf).amin(dim=(1, 2, 3), keepdim=True)
    high = torch.where(inside, rgb, -math.inf).amax(dim=(1, 2, 3), keepdim=True)
    span = high - low
    rgb = (rgb - low) / torch.where(span > 0, span, torch.ones_like(span))
    lab = rgb_to_lab(rgb)
    if sigma > 0:
        for b, image in enumerate(images):
            h, w = image.shape[:2]
            lab[b, :, :h, :w] = gaussian_smoothed(lab[b, :, :h, :w], sigma)
    return lab * (1.0 / compactness), valid  # skimage multiplies by the ratio


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """CIELAB (D65, 2-degree observer) of (..., 3, H, W) sRGB in [0, 1], as skimage.color."""
    linear = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    # element-wise, not a matrix product: a GPU may run float32 products in TF32
    red, green, blue = linear.unbind(dim=-3)
    xyz = torch.stack(
        [
            (m_r * red + m_g * green + m_b * blue) / white
            for (m_r, m_g, m_b), white in zip(XYZ_FROM_RGB, D65_WHITE, strict=True)
        ],
        dim=-3,
    )
    f = torch.where(xyz > 0.008856, torch.pow(xyz.clamp(min=0), 1.0 / 3.0), 7.787 * xyz + 16 / 116)
    fx, fy, fz = f.unbind(dim=-3)
    return torch.stack((116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)), dim=-3)


def gaussian_smoothed(channels: torch.Tensor, sigma: float) -> torch.Tensor:
    """(C, H, W) smoothed along H and W as ``scipy.ndimage.gaussian_filter`` (truncate 4,
    mode 'reflect': the edge pixel repeated, d c b a | a b c d)."""
    radius = int(4.0 * sigma + 0.5)
    offsets = torch.arange(-radius, radius + 1, dtype=channels.dtype, device=channels.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    out = channels
    for dim in (1, 2):
        size = out.shape[dim]
        index = torch.arange(-radius, size + radius, device=out.device) % (2 * size)
        index = torch.where(index >= size, 2 * size - 1 - index, index)
        padded = out.index_select(dim, index).movedim(dim, -1)
        windows = padded.unfold(-1, 2 * radius + 1, 1)
        out = (windows * kernel).sum(dim=-1).movedim(-1, dim)
    return out


# ---- steps 2 and 3: the k-means ----------------------------------------------------------


def _cluster(
    features: torch.Tensor,
    valid: torch.Tensor,
    sizes: Sequence[tuple[int, int]],
    grids: Sequence[_Grid],
    max_num_iter: int,
) -> torch.Tensor:
    """(B, H, W) int64 index of each pixel's centre (row-major in its image's grid) after
    ``max_num_iter`` rounds; -1 outside the images."""
    device, dtype = features.device, features.dtype
    batch, _, height, width = features.shape
    k_max = max(grid.count for grid in grids)
    as_tensor = lambda values: torch.tensor(values, dtype=dtype, device=device)  # noqa: E731

    # the centres: (B, K, 5) = y, x, L, a, b; padding centres are dead from the start
    centres = torch.zeros((batch, k_max, 5), dtype=dtype, device=device)
    alive = torch.zeros((batch, k_max), dtype=torch.bool, device=device)
    for b, grid in enumerate(grids):
        ys, xs = np.meshgrid(grid.ys, grid.xs, indexing="ij")
        centres[b, : grid.count, 0] = as_tensor(ys.ravel())
        centres[b, : grid.count, 1] = as_tensor(xs.ravel())
        alive[b, : grid.count] = True

    # Square tiles of side `tile` (half the smallest grid step): pixels seen as (B, R, t, C, t),
    # so that what a tile's pixels share (the centre they try next) is broadcast, not gathered.
    tile = max(1, min(min(g.window) // 4 for g in grids))
    n_rows, n_cols = -(-height // tile), -(-width // tile)
    pad = (0, n_cols * tile - width, 0, n_rows * tile - height)
    shape = (batch, n_rows, tile, n_cols, tile)
    padded = torch.nn.functional.pad(features, pad)  # (B, 3, H', W')
    lightness, green_red, blue_yellow = (padded[:, c].reshape(shape) for c in range(3))
    inside_image = torch.nn.functional.pad(valid, pad).reshape(shape)
    y = torch.arange(n_rows * tile, device=device, dtype=dtype).view(1, n_rows, tile, 1, 1)
    x = torch.arange(n_cols * tile, device=device, dtype=dtype).view(1, 1, 1, n_cols, tile)
    row_starts = torch.arange(n_rows, device=device, dtype=dtype) * tile
    col_starts = torch.arange(n_cols, device=device, dtype=dtype) * tile
    spans = (row_starts, row_starts + tile - 1, col_starts, col_starts + tile - 1)
    # what the centre update averages, laid out once: (pixels, 5) = y, x, L, a, b
    features_of_pixels = torch.stack(
        [y.expand(shape), x.expand(shape), lightness, green_red, blue_yellow], dim=-1
    ).reshape(-1, 5)

    heights = as_tensor([h for h, _ in sizes])[:, None]
    widths = as_tensor([w for _, w in sizes])[:, None]
    half_h = as_tensor([g.window[0] for g in grids])[:, None]
    half_w = as_tensor([g.window[1] for g in grids])[:, None]
    weight = as_tensor([g.spatial_weight for g in grids]).view(batch, 1, 1, 1, 1)
    per_tile = lambda t: t[:, :, None, :, None]  # noqa: E731  (B, R, C, ...) -> (B, R, 1, C, 1, ...)
    images = torch.arange(batch, device=device).view(batch, 1, 1)

    labels = torch.full(shape, -1, dtype=torch.long, device=device)
    for _ in range(max_num_iter):
        # skimage's windows: floor(max(c - half, 0)) <= p < floor(min(c + half + 1, size))
        top = torch.floor((centres[..., 0] - half_h).clamp(min=0))
        bottom = torch.floor(torch.minimum(centres[..., 0] + half_h + 1, heights))
        left = torch.floor((centres[..., 1] - half_w).clamp(min=0))
        right = torch.floor(torch.minimum(centres[..., 1] + half_w + 1, widths))
        candidates, usable = _candidates(top, bottom, left, right, alive, spans)

        best = torch.full(shape, math.inf, dtype=dtype, device=device)
        nearest = labels.clone()
        # each tile's candidates in increasing centre index, so that a strict "<" keeps the
        # lowest index among equal distances, as skimage's loop over centres does
        for m in range(candidates.shape[-1]):
            k = candidates[..., m]  # (B, R, C)
            centre = per_tile(centres[images, k])  # (B, R, 1, C, 1, 5)
            cy, cx, c_l, c_a, c_b = centre.unbind(-1)
            in_rows = (y >= per_tile(top[images, k])) & (y < per_tile(bottom[images, k]))
            in_rows &= per_tile(usable[..., m])
            in_cols = (x >= per_tile(left[images, k])) & (x < per_tile(right[images, k]))
            # outside the window a squared offset is infinite, so the pixel cannot join: the
            # window is applied to a tile's rows and columns, not to each of its pixels
            rows = torch.where(in_rows, (cy - y) ** 2, math.inf)  # (B, R, t, C, 1)
            cols = torch.where(in_cols, (cx - x) ** 2, math.inf)  # (B, R, 1, C, t)
            # skimage's order of operations, so that float64 gives its distances to the bit
            colour = (lightness - c_l).square_()
            colour.add_((green_red - c_a).square_()).add_((blue_yellow - c_b).square_())
            distance = (rows + cols).mul_(weight).add_(colour)
            closer = distance < best
            best = torch.where(closer, distance, best)
            nearest = torch.where(closer, per_tile(k), nearest)
        labels = torch.where(inside_image, nearest, -1)  # no window holds it: centre kept
        centres, alive = _moved_centres(labels, features_of_pixels, k_max)
    return labels.reshape(batch, n_rows * tile, n_cols * tile)[:, :height, :width]


def _candidates(
    top: torch.Tensor,
    bottom: torch.Tensor,
    left: torch.Tensor,
    right: torch.Tensor,
    alive: torch.Tensor,
    spans: tuple[torch.Tensor, ...],
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, R, C, M): the centres whose window (bounds (B, K), ``bottom`` and ``right``
    exclusive) meets each tile (``spans``: first and last row of each tile row, first and last
    column of each tile column), in increasing index; and (B, R, C, M) which of them are real."""
    first_row, last_row, first_col, last_col = spans
    meets_row = (top[..., None] <= last_row) & (bottom[..., None] > first_row)  # (B, K, R)
    meets_col = (left[..., None] <= last_col) & (right[..., None] > first_col)  # (B, K, C)
    meets = meets_row[..., :, None] & meets_col[..., None, :] & alive[..., None, None]
    meets = meets.permute(0, 2, 3, 1)  # (B, R, C, K)
    order = torch.argsort((~meets).to(torch.int8), dim=-1, stable=True)
    count = max(int(meets.sum(dim=-1).max()), 1)
    order = order[..., :count]
    return order, meets.gather(-1, order)


def _moved_centres(
    labels: torch.Tensor, features_of_pixels: torch.Tensor, k_max: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each centre's mean position and colour over its pixels (labels in the tiled layout, -1:
    none; ``features_of_pixels`` in the same order); centres without pixels die.

    Pixels outside the images go to one spare bin per image, so that every pixel is summed
    and no mask selects them: a selection costs a copy, and on CUDA a wait for its size."""
    batch = labels.shape[0]
    bins = k_max + 1
    offset = (torch.arange(batch, device=labels.device) * bins).view(batch, 1, 1, 1, 1)
    index = (torch.where(labels >= 0, labels, k_max) + offset).reshape(-1)
    sums = torch.zeros(
        (batch * bins, 5), dtype=features_of_pixels.dtype, device=features_of_pixels.device
    )
    with _deterministic_sums(sums.device):
        sums.index_add_(0, index, features_of_pixels)
    counts = torch.bincount(index, minlength=batch * bins).to(features_of_pixels.dtype)
    sums, counts = sums.view(batch, bins, 5)[:, :k_max], counts.view(batch, bins)[:, :k_max]
    return sums / counts.clamp(min=1)[..., None], counts > 0


@contextmanager
def _deterministic_sums(device: torch.device) -> Iterator[None]:
    """On CUDA, ``index_add_`` sums floats with atomics in no fixed order, so a centre's mean
    could change in its last bit from run to run and move a pixel; torch's deterministic mode
    sorts first. Only around the sum: the mode is process-wide."""
    if device.type != "cuda":
        yield
        return
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)
