"""Faithfulness beyond the paper: region deletion and insertion curves.

Deletion replaces superpixels, best first, by a blurred copy of the image and follows the
explained class's probability down; insertion starts from the blurred image and puts them back.
Every method is scored on the same superpixels, ordered by its own region scores (SeCAM, LIME)
or by the mean of its heatmap inside each superpixel (CAM and the other heatmaps), so the curves
compare orderings, not segmentations. A lower deletion AUC and a higher insertion AUC are better.

The same insertion, prefix by prefix, chooses the ``sufficient:P`` selection
(:class:`InsertionProbe`): the fewest best regions that alone keep P of the class's probability.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
import torch
from scipy.integrate import trapezoid

from secam.config import default
from secam.selection import rank_regions

# On a CPU, small batches are fastest (the schema's cpu defaults, docs/performance.md).
CURVE_BATCH: int = default("faithfulness", "batch_size")["cpu"]
PREFIX_BATCH: int = default("selection", "batch_size")["cpu"]

Classifier = Callable[[np.ndarray], np.ndarray]  # (N, H, W, 3) uint8 -> (N, classes) probs


@dataclass(frozen=True)
class Curves:
    fractions: np.ndarray  # share of the superpixels removed (deletion) or inserted
    deletion: np.ndarray  # probability of the class at each step
    insertion: np.ndarray

    @property
    def deletion_auc(self) -> float:
        return float(trapezoid(self.deletion, self.fractions))

    @property
    def insertion_auc(self) -> float:
        return float(trapezoid(self.insertion, self.fractions))


def blurred(image: np.ndarray, sigma: float | None = None) -> np.ndarray:
    """A Gaussian-blurred copy: removed pixels lose their detail but keep the image's colours.

    ``scipy.ndimage.gaussian_filter``'s blur (kernel truncated at 4 sigma, edges mirrored), computed
    in the frequency domain: sigma is a twentieth of the image's longer side, so the direct
    filter's 201 taps per pixel cost more than the model's forward passes on the blurred images
    (docs/performance.md, the faithfulness curves). In float64 within each pass, so the uint8
    result is scipy's."""
    sigma = float(sigma if sigma is not None else max(image.shape[:2]) / 20)
    smooth = _gaussian_along(image.astype(np.float64), sigma, axis=0)
    # scipy keeps float32 between the two passes, so its rounding is reproduced there
    smooth = _gaussian_along(smooth.astype(np.float32).astype(np.float64), sigma, axis=1)
    smooth = smooth.astype(np.float32)
    return np.clip(np.rint(smooth, out=smooth), 0, 255, out=smooth).astype(np.uint8)


def _gaussian_along(values: np.ndarray, sigma: float, axis: int) -> np.ndarray:
    """scipy's 1-D Gaussian (``mode="reflect"``) along ``axis``, through the DCT or the FFT.

    Mirroring the edges makes the signal periodic with twice its length, so the blur is a
    product in the DCT-II basis; the DCT is fast only for lengths of small prime factors, so
    other lengths are mirrored explicitly and convolved through a zero-padded FFT instead.
    The transforms use as many workers as torch has threads: the job's share of the cores."""
    workers = torch.get_num_threads()
    radius = int(4.0 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2) if sigma > 0 else (offsets == 0) * 1.0
    kernel /= kernel.sum()
    length = values.shape[axis]
    shape = [1] * values.ndim
    if _largest_prime_factor(length) <= _DCT_PRIME_LIMIT:
        # the DCT's gains: the spectrum of the kernel wrapped onto the period
        periodic = np.zeros(2 * length)
        np.add.at(periodic, offsets % (2 * length), kernel)
        shape[axis] = length
        gain = scipy.fft.rfft(periodic).real[:length].reshape(shape)
        spectrum = scipy.fft.dct(values, axis=axis, workers=workers)
        spectrum *= gain
        return scipy.fft.idct(spectrum, axis=axis, workers=workers, overwrite_x=True)
    padding = [(0, 0)] * values.ndim
    padding[axis] = (radius, radius)
    mirrored = np.pad(values, padding, mode="symmetric")  # scipy's "reflect"
    size = scipy.fft.next_fast_len(mirrored.shape[axis], real=True)
    padded_kernel = np.zeros(size)
    padded_kernel[: kernel.size] = kernel
    shape[axis] = size // 2 + 1
    spectrum = scipy.fft.rfft(mirrored, n=size, axis=axis, workers=workers)
    spectrum *= scipy.fft.rfft(padded_kernel).reshape(shape)
    full = scipy.fft.irfft(spectrum, n=size, axis=axis, workers=workers, overwrite_x=True)
    # the causal kernel puts output i at input i - radius of the mirrored signal
    return np.take(full, np.arange(2 * radius, 2 * radius + length), axis=axis)


# DCT lengths with a prime factor above this cost more than the padded FFT (measured on lengths
# 322 to 1000: 1.5x to 3x more from 109 up, half as much up to 41)
_DCT_PRIME_LIMIT = 50


def _largest_prime_factor(number: int) -> int:
    largest, factor = 1, 2
    while factor * factor <= number:
        while number % factor == 0:
            largest, number = factor, number // factor
        factor += 1
    return max(largest, number)


def _pixel_ranks(labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each pixel's region position in ``order`` (0 = best region)."""
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank[labels]


def _classified(
    classify: Classifier, images: list[np.ndarray], target: int, batch_size: int
) -> np.ndarray:
    """The class's probability for each image, ``batch_size`` images per forward pass."""
    out = []
    for start in range(0, len(images), batch_size):
        out.append(classify(np.stack(images[start : start + batch_size]))[:, target])
    return np.concatenate(out) if out else np.zeros(0)


def kept_probabilities(
    classify: Classifier,
    image: np.ndarray,
    masks: Sequence[np.ndarray],
    target: int,
    batch_size: int = CURVE_BATCH,
    background: np.ndarray | None = None,
) -> np.ndarray:
    """The class's probability with only each mask's pixels kept and the rest blurred (the
    insertion of an explanation mask, whatever made it: regions or thresholded pixels).

    Equal masks (two selections that chose the same regions) are classified once;
    ``background``: the image already blurred (:func:`blurred`), when the caller has it."""
    background = blurred(image) if background is None else background
    position: dict[bytes, int] = {}
    distinct: list[np.ndarray] = []
    which = []
    for mask in masks:
        mask = np.asarray(mask, bool)
        key = np.packbits(mask).tobytes()  # the masks share the image's shape
        if key not in position:
            position[key] = len(distinct)
            distinct.append(mask)
        which.append(position[key])
    kept = [np.where(mask[..., None], image, background) for mask in distinct]
    return _classified(classify, kept, target, batch_size)[which]


class InsertionProbe:
    """The class's probability when only the best regions of a ranking are kept and the others
    blurred (the insertion of :func:`region_curves`), for one image and class.

    Prefixes are classified in batches of ``batch_size`` consecutive lengths, from one region up,
    and remembered, so several shares P (and the full image's probability) cost no pass twice.
    """

    def __init__(
        self,
        classify: Classifier,
        image: np.ndarray,
        labels: np.ndarray,
        target: int,
        batch_size: int = PREFIX_BATCH,
    ) -> None:
        self.classify, self.image, self.labels = classify, image, labels
        self.target, self.batch_size = int(target), max(1, int(batch_size))
        self._background: np.ndarray | None = None  # blurred when first needed: timed with it
        self._full: float | None = None
        self._known: dict[tuple[bytes, int], float] = {}

    @property
    def background(self) -> np.ndarray:
        """The blurred image the regions not kept are taken from."""
        if self._background is None:
            self._background = blurred(self.image)
        return self._background

    @property
    def full_probability(self) -> float:
        """The class's probability on the whole image."""
        if self._full is None:
            self._full = float(_classified(self.classify, [self.image], self.target, 1)[0])
        return self._full

    def probabilities(self, order: np.ndarray, counts: Sequence[int]) -> np.ndarray:
        """The class's probability with the first k regions of ``order`` kept, for each k."""
        key = np.asarray(order, dtype=np.int64).tobytes()
        missing = [int(k) for k in counts if (key, int(k)) not in self._known]
        if missing:
            ranks = _pixel_ranks(self.labels, np.asarray(order))
            kept = [np.where((ranks < k)[..., None], self.image, self.background) for k in missing]
            for k, value in zip(
                missing, _classified(self.classify, kept, self.target, self.batch_size), strict=True
            ):
                self._known[(key, k)] = float(value)
        return np.array([self._known[(key, int(k))] for k in counts])

    def shortest_sufficient(self, order: np.ndarray, share: float) -> int:
        """The smallest k whose first k regions of ``order``, alone, give the class at least
        ``share`` of its probability on the whole image; all regions when no shorter prefix
        does (they are the whole image)."""
        goal, n = share * self.full_probability, int(np.asarray(order).size)
        for first in range(1, n + 1, self.batch_size):
            counts = list(range(first, min(n, first + self.batch_size - 1) + 1))
            reached = np.flatnonzero(self.probabilities(order, counts) >= goal)
            if reached.size:
                return counts[int(reached[0])]
        return n


def region_curves(
    classify: Classifier,
    image: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    target: int,
    steps: int = default("faithfulness", "steps"),
    batch_size: int = CURVE_BATCH,
    background: np.ndarray | None = None,
) -> Curves:
    """Deletion and insertion curves over ``steps`` equal shares of the ranked superpixels.

    The two curves share their ends, the image (nothing deleted, everything inserted) and the
    blurred image (the reverse), so 2 x steps distinct images are classified, the least there
    is. ``background``: the image already blurred (:func:`blurred`), when the caller has it."""
    order = rank_regions(scores)
    n = order.size
    fractions = np.linspace(0.0, 1.0, steps + 1)
    counts = np.unique(np.round(fractions * n).astype(int))  # 0 first, n last
    fractions = counts / n
    pixel_rank = _pixel_ranks(labels, order)
    background = blurred(image) if background is None else background
    inner = counts[1:-1]
    deleted = [np.where((pixel_rank < k)[..., None], background, image) for k in inner]
    inserted = [np.where((pixel_rank < k)[..., None], image, background) for k in inner]
    values = _classified(classify, [image, background, *deleted, *inserted], target, batch_size)
    whole, blank, middle = values[0], values[1], values[2:]
    deletion = np.concatenate([[whole], middle[: len(inner)], [blank]])
    insertion = np.concatenate([[blank], middle[len(inner) :], [whole]])
    return Curves(fractions, deletion, insertion)
