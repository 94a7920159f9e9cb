"""Block 2: superpixels. One label image per image, shared by SeCAM and LIME.

SLIC is the paper's algorithm and the default. Quickshift and Felzenszwalb's graph-based method
are the alternatives of the paper's segmentation comparison (section V.D); their default
parameters give region counts comparable to SLIC's defaults (docs/results.md, "Other measured
numbers"). Every run's segmentation table reports its own counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from skimage.segmentation import felzenszwalb, quickshift, relabel_sequential, slic
from skimage.transform import rescale, resize

from secam.config import default
from secam.errors import InputError

ALGORITHMS = ("slic", "quickshift", "felzenszwalb")

# Parameters of each algorithm with their defaults, from the config schema (the one place they
# are written). SLIC's ``downscale`` > 1 is the fast SLIC: the same algorithm on an area-averaged
# copy that many times smaller per side, labels brought back by nearest neighbour (see
# benchmarks/bench_segmentation.py for its speed and agreement with the reference). Quickshift
# is slow at full resolution (docs/results.md), so it runs on a copy downscaled by its
# ``downscale``; its kernel_size is in pixels of that copy.
# SLIC's ``backend``: numba (secam.numba_slic: skimage's algorithm compiled, its rows on every
# thread of the job; skimage's labels, tested), skimage (the reference) or torch
# (secam.torch_slic: the same algorithm, batched, on the model's device).
SLIC_KEYS = ("n_segments", "compactness", "sigma", "downscale", "backend")
BACKENDS = ("numba", "skimage", "torch")
DEFAULTS: dict[str, dict[str, Any]] = {
    "slic": {key: default("segmentation", key) for key in SLIC_KEYS},
    "quickshift": {
        key: default("segmentation", "quickshift", key)
        for key in ("kernel_size", "max_dist", "ratio", "sigma", "downscale")
    },
    "felzenszwalb": {
        key: default("segmentation", "felzenszwalb", key) for key in ("scale", "sigma", "min_size")
    },
}


def algorithm_params(segmentation_config: dict[str, Any], algorithm: str) -> dict[str, Any]:
    """The parameters of ``algorithm`` from a config's ``segmentation`` section.

    SLIC's are at the section's top level (``n_segments``, ``compactness``, ``sigma``); the other
    algorithms' under a key of their own name.
    """
    if algorithm == "slic":
        given = {
            key: segmentation_config[key] for key in DEFAULTS["slic"] if key in segmentation_config
        }
    else:
        given = dict(segmentation_config.get(algorithm) or {})
    return _options(algorithm, given)


def segment(
    image: np.ndarray, algorithm: str = default("segmentation", "algorithm"), **params: Any
) -> np.ndarray:
    """Superpixels of an (H, W, 3) uint8 image as an (H, W) int32 array labelled 0..n-1."""
    return segment_batch([image], algorithm, **params)[0]


def segment_batch(
    images: Sequence[np.ndarray],
    algorithm: str = default("segmentation", "algorithm"),
    device: str = "cpu",
    **params: Any,
) -> list[np.ndarray]:
    """:func:`segment` of each image. SLIC's torch backend segments them together on
    ``device``; every other algorithm and backend one by one on the CPU."""
    options = _options(algorithm, params)
    if algorithm == "slic":
        return _slic(images, options, device)
    return [_sequential(_other(image, algorithm, options)) for image in images]


def _options(algorithm: str, params: dict[str, Any]) -> dict[str, Any]:
    """The algorithm's parameters: ``params`` over the schema's defaults (the one place they
    are merged), each name and the SLIC backend checked."""
    if algorithm not in ALGORITHMS:
        raise InputError(f"unknown segmentation algorithm {algorithm!r}; one of {ALGORITHMS}")
    unknown = set(params) - set(DEFAULTS[algorithm])
    if unknown:
        raise InputError(f"{algorithm} takes no parameter(s) {sorted(unknown)}")
    options = {**DEFAULTS[algorithm], **params}
    if algorithm == "slic" and options["backend"] not in BACKENDS:
        raise InputError(f"unknown SLIC backend {options['backend']!r}; one of {BACKENDS}")
    return options


def _slic(images: Sequence[np.ndarray], options: dict[str, Any], device: str) -> list[np.ndarray]:
    """SLIC of each image, on its area-downscaled copy where ``downscale`` > 1."""
    factor = int(options["downscale"])
    small = [_area_downscaled(image, factor) for image in images]
    common = {
        "n_segments": int(options["n_segments"]),
        "compactness": float(options["compactness"]),
        "sigma": float(options["sigma"]),
    }
    if options["backend"] == "torch":
        from secam.torch_slic import slic as torch_slic  # torch only where asked for

        found = torch_slic(small, device=device, **common)
    elif options["backend"] == "numba":
        from secam.numba_slic import slic as numba_slic  # numba only where asked for

        found = [numba_slic(copy, **common) for copy in small]
    else:
        found = [slic(copy, start_label=0, channel_axis=-1, **common) for copy in small]
    if factor == 1:
        # SLIC's connectivity step (every backend's) numbers the regions 0..n-1 in raster
        # order already; relabelling would cost a pass over the image (a seventh of numba's time)
        return [labels.astype(np.int32) for labels in found]
    return [
        _sequential(_nearest_upscaled(labels, image.shape[:2], factor))
        for labels, image in zip(found, images, strict=True)
    ]


def _other(image: np.ndarray, algorithm: str, options: dict[str, Any]) -> np.ndarray:
    """Quickshift's or Felzenszwalb's labels."""
    if algorithm == "quickshift":
        return _quickshift(image, options)
    return felzenszwalb(
        image,
        scale=float(options["scale"]),
        sigma=float(options["sigma"]),
        min_size=int(options["min_size"]),
        channel_axis=-1,
    )


def _sequential(labels: np.ndarray) -> np.ndarray:
    # Label ranges can have gaps (SLIC's connectivity step, a region lost to downscaling);
    # region ids must be 0..n-1 so that they index score vectors directly.
    labels, _, _ = relabel_sequential(np.asarray(labels))
    return labels.astype(np.int32)


def _area_downscaled(image: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each ``factor`` x ``factor`` block (edges repeated to fill the last blocks)."""
    if factor <= 1:
        return image
    height, width = image.shape[:2]
    pad = ((0, -height % factor), (0, -width % factor), (0, 0))
    padded = np.pad(image, pad, mode="edge").astype(np.float32)
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor, 3)
    return np.rint(blocks.mean(axis=(1, 3))).astype(np.uint8)


def _nearest_upscaled(labels: np.ndarray, shape: tuple[int, ...], factor: int) -> np.ndarray:
    """Labels of an :func:`_area_downscaled` copy back on the full-resolution grid."""
    if factor <= 1:
        return labels
    full = np.repeat(np.repeat(labels, factor, axis=0), factor, axis=1)
    return full[: shape[0], : shape[1]]


def _quickshift(image: np.ndarray, options: dict[str, Any]) -> np.ndarray:
    factor = int(options["downscale"])
    small = image
    if factor > 1:
        small = rescale(
            image, 1.0 / factor, channel_axis=-1, anti_aliasing=True, preserve_range=True
        ).astype(np.uint8)
    labels = quickshift(
        small,
        kernel_size=float(options["kernel_size"]),
        max_dist=float(options["max_dist"]),
        ratio=float(options["ratio"]),
        sigma=float(options["sigma"]),
        convert2lab=True,
        rng=0,
        channel_axis=-1,
    )
    if factor > 1:
        labels = resize(
            labels, image.shape[:2], order=0, preserve_range=True, anti_aliasing=False
        ).astype(np.int64)
    return labels
