from types import ModuleType

import numpy as np
import pytest
import torch
from scipy import ndimage
from torch import nn

from secam.activations import CAMMapper
from secam.faithfulness import (
    InsertionProbe,
    _gaussian_along,
    blurred,
    kept_probabilities,
    region_curves,
)
from secam.imaging import load_rgb
from secam.lime import probability_fn
from secam.models import LoadedModel
from secam.regions import region_means, upsample
from secam.segmentation import segment

SIZE, CELL = 64, 8


def _scene():
    """A bright square object on black, an 8x8 grid of superpixels, and a classifier whose
    probability is the object's remaining brightness."""
    image = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    image[8:32, 8:32] = 255
    rows, cols = np.indices((SIZE, SIZE))
    labels = (rows // CELL) * (SIZE // CELL) + cols // CELL
    object_mask = image[..., 0] > 0

    def classify(batch: np.ndarray) -> np.ndarray:
        brightness = batch[:, object_mask, 0].mean(axis=1) / 255.0
        return np.stack([1 - brightness, brightness], axis=1)

    return image, labels, object_mask, classify


def test_perfect_explanation_deletes_faster_and_inserts_faster_than_random():
    image, labels, object_mask, classify = _scene()
    n = labels.max() + 1
    perfect = np.array([object_mask[labels == r].mean() for r in range(n)])
    rng = np.random.default_rng(0)
    random_auc = [
        region_curves(classify, image, labels, rng.random(n), 1, steps=16) for _ in range(5)
    ]
    ideal = region_curves(classify, image, labels, perfect, 1, steps=16)
    assert ideal.deletion[0] == ideal.insertion[-1] == 1.0  # untouched image
    assert ideal.deletion_auc < min(c.deletion_auc for c in random_auc)
    assert ideal.insertion_auc > max(c.insertion_auc for c in random_auc)
    assert ideal.fractions[0] == 0 and ideal.fractions[-1] == 1


def test_curves_are_monotone_for_the_perfect_order():
    image, labels, object_mask, classify = _scene()
    n = labels.max() + 1
    perfect = np.array([object_mask[labels == r].mean() for r in range(n)])
    curves = region_curves(classify, image, labels, perfect, 1, steps=8)
    assert np.all(np.diff(curves.deletion) <= 1e-9)
    assert np.all(np.diff(curves.insertion) >= -1e-9)


def test_blur_keeps_colours_and_removes_detail():
    image, *_ = _scene()
    soft = blurred(image)
    assert soft.dtype == np.uint8 and soft.shape == image.shape
    assert abs(float(soft.mean()) - float(image.mean())) < 8
    assert soft.std() < image.std()


def _scipy_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """The reference: scipy's direct Gaussian filter, as the stage computed it before issue 19."""
    smooth = ndimage.gaussian_filter(image.astype(np.float32), sigma=(sigma, sigma, 0))
    return np.clip(np.round(smooth), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("length", [1, 2, 7, 37, 64, 167, 334, 375, 491])
@pytest.mark.parametrize("sigma", [0.5, 3.0, 25.0, 60.0])
def test_each_pass_is_scipys_gaussian_filter1d(length, sigma):
    """Each axis's pass equals scipy's direct filter (mirrored edges, 4-sigma kernel) to float
    precision, through the DCT (lengths of small primes) and the padded FFT (167, 334 = 2 x 167,
    491), with kernels wider than the signal (mirrored more than once) included."""
    values = np.random.default_rng(length).uniform(0, 255, size=(length, 5, 3))
    for axis in (0, 1):
        ours = _gaussian_along(values, sigma, axis)
        theirs = ndimage.gaussian_filter1d(values, sigma, axis=axis, mode="reflect")
        assert np.abs(ours - theirs).max() < 1e-9


def test_blur_is_scipys_gaussian_filter_pixel_for_pixel(ilsvrc_sample):
    """The stage's background is scipy.ndimage.gaussian_filter's, every pixel of every channel,
    on photographs whose sides take both transforms (375 and 500 the DCT, 334 and 491 the FFT;
    each also turned on its side), and on noise at small and large sigmas."""
    folder = ilsvrc_sample / "ILSVRC" / "Data" / "CLS-LOC" / "val"
    by_height: dict[int, np.ndarray] = {}
    for path in sorted(folder.glob("*.JPEG")):
        image = load_rgb(path)
        if image.shape[0] in (334, 375, 491) and image.shape[0] not in by_height:
            by_height[image.shape[0]] = image
    assert sorted(by_height) == [334, 375, 491]
    for image in by_height.values():
        for turned in (image, image.transpose(1, 0, 2)):
            sigma = max(turned.shape[:2]) / 20
            assert np.array_equal(blurred(turned), _scipy_blur(turned, sigma))
    noise = np.random.default_rng(0).integers(0, 256, size=(100, 1000, 3), dtype=np.uint8)
    for sigma in (0.5, 3.0, 30.0):
        assert np.array_equal(blurred(noise, sigma), _scipy_blur(noise, sigma))
    for shape in ((1, 1, 3), (1, 7, 3), (40, 3, 3), (17, 23, 3)):
        odd = np.random.default_rng(1).integers(0, 256, size=shape, dtype=np.uint8)
        assert np.array_equal(blurred(odd), _scipy_blur(odd, max(shape[:2]) / 20))
        assert np.array_equal(blurred(odd, 30.0), _scipy_blur(odd, 30.0))


# --- Quantus as an independent oracle, on real photographs (issue 18) --------------------------


class _QuantusView(nn.Module):
    """The embedded model as Quantus calls it: (N, 3, H, W) float pixels in 0-255 at the
    photograph's own size, logits out (Quantus appends the softmax). It records every call's
    probabilities, so the whole deletion curve is compared, not only IROF's area over it."""

    def __init__(self, model: LoadedModel) -> None:
        super().__init__()
        self.network = model.module
        self.preprocessing = model.preprocessing
        self.probabilities: list[np.ndarray] = []

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        images = pixels.permute(0, 2, 3, 1).round().clamp(0, 255).to(torch.uint8).numpy()
        logits = self.network(self.preprocessing(images))
        self.probabilities.append(torch.softmax(logits, dim=1).numpy().astype(np.float64))
        return logits


def _quantus_deletion(
    quantus: ModuleType,
    view: _QuantusView,
    image: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    target: int,
    monkeypatch: pytest.MonkeyPatch,
) -> np.ndarray:
    """The target's probability after removing 0, 1, ..., n superpixels, as quantus.IROF removes
    them: ranked by the mean attribution in each (the region score, painted on its superpixel),
    replaced cumulatively by the same blurred copy, on our superpixels instead of its own SLIC."""
    from quantus.functions.perturb_func import baseline_replacement_by_mask
    from quantus.helpers import utils

    monkeypatch.setattr(utils, "get_superpixel_segments", lambda img, segmentation_method: labels)
    background = blurred(image).transpose(2, 0, 1)[None].astype(np.float64)

    def perturb(arr: np.ndarray, mask: np.ndarray, **_: object) -> np.ndarray:
        # Quantus's own replacement; IROF's mask has one channel, which that function's shape
        # check rejects on RGB (so IROF's default perturbation fails on any colour image)
        return baseline_replacement_by_mask(
            arr, np.broadcast_to(mask, arr.shape), perturb_baseline=background
        )

    irof = quantus.IROF(
        normalise=False,  # a positive scale keeps the order; unscaled, the means are our scores
        abs=False,
        perturb_func=perturb,
        return_aggregate=False,
        disable_warnings=True,
    )
    view.probabilities.clear()
    area_over = irof(
        model=view,
        x_batch=image.transpose(2, 0, 1)[None].astype(np.float64),
        y_batch=np.array([target]),
        a_batch=scores[labels][None, None].astype(np.float64),
        channel_first=True,
        softmax=True,
        device="cpu",
    )[0]
    curve = np.concatenate(view.probabilities)[:, target]
    n = int(labels.max()) + 1
    assert curve.shape == (n + 1,)  # the unperturbed image, then one call per removed region
    # the recorded calls are the ones IROF scored: its area over the relative curve (which it
    # divides in float32)
    assert area_over == pytest.approx(n - np.trapezoid(curve[1:] / curve[0]), rel=1e-6)
    return curve


@pytest.mark.ilsvrc
def test_deletion_curve_agrees_with_quantus_irof(
    embedded_model: LoadedModel, ilsvrc_sample, monkeypatch: pytest.MonkeyPatch
):
    """Our deletion curve against quantus.IROF (iterative removal of features, Rieger & Hansen),
    the Quantus metric that deletes superpixels in order of their mean attribution; its
    RegionPerturbation deletes square patches, which no superpixel order can match. Same SLIC
    superpixels, same SeCAM scores, same blurred baseline: the probabilities must be equal at
    each of our steps (to float32 rounding; a batch of 4 would move them by ~4e-7)."""
    quantus = pytest.importorskip("quantus", reason="Quantus (the test extra) is not installed")
    if not hasattr(np, "trapz"):  # Quantus 0.6.0 calls np.trapz, removed in NumPy 2.4
        monkeypatch.setattr(np, "trapz", np.trapezoid, raising=False)
    paths = sorted(ilsvrc_sample.glob("ILSVRC/Data/CLS-LOC/val/*.JPEG"))[::34][:4]
    images = [load_rgb(path) for path in paths]
    explained = CAMMapper(embedded_model)(embedded_model.preprocessing(images))
    classify = probability_fn(embedded_model)
    view = _QuantusView(embedded_model).eval()
    for image, grid, target in zip(images, explained.maps, explained.targets.tolist(), strict=True):
        labels = segment(image, n_segments=16)  # not the pipeline's 50: IROF runs once a region
        scores = region_means(upsample(grid, image.shape[:2]), torch.from_numpy(labels)).numpy()
        assert np.unique(scores).size == scores.size  # no ties: one order for both rankings
        # one image a call, as IROF calls the model: the same float32 arithmetic
        ours = region_curves(classify, image, labels, scores, target, steps=10, batch_size=1)
        theirs = _quantus_deletion(quantus, view, image, labels, scores, target, monkeypatch)
        removed = np.round(ours.fractions * (labels.max() + 1)).astype(int)
        np.testing.assert_allclose(ours.deletion, theirs[removed], rtol=0, atol=1e-6)


class _ShareOfImage:
    """A classifier whose class 0 probability is the share of pixels equal to the original image
    (the rest: class 1), counting the images it is shown per call."""

    def __init__(self, image: np.ndarray) -> None:
        self.image, self.calls = image, []

    def __call__(self, images: np.ndarray) -> np.ndarray:
        self.calls.append(len(images))
        same = (images == self.image[None]).all(axis=-1).mean(axis=(1, 2))
        return np.stack([same, 1 - same], axis=1)


def _striped_case() -> tuple[np.ndarray, np.ndarray]:
    """A noisy image (its blur differs everywhere) cut into ten equal vertical strips."""
    image = np.random.default_rng(0).integers(0, 256, size=(20, 40, 3), dtype=np.uint8)
    labels = np.repeat(np.arange(10), 4)[None, :].repeat(20, axis=0)
    return image, labels


def test_insertion_probe_finds_the_shortest_sufficient_prefix_in_batches_and_remembers():
    image, labels = _striped_case()
    classify = _ShareOfImage(image)
    probe = InsertionProbe(classify, image, labels, target=0, batch_size=3)
    order = np.array([9, 2, 5, 0, 7, 1, 3, 8, 4, 6])
    # k strips kept give k/10 of the full image's probability (1.0)
    assert probe.shortest_sufficient(order, 0.45) == 5
    assert classify.calls == [1, 3, 3]  # the whole image, then prefixes 1-3 and 4-6
    assert probe.shortest_sufficient(order, 0.25) == 3  # known prefixes: no pass
    assert classify.calls == [1, 3, 3]
    assert probe.shortest_sufficient(order, 0.7) == 7 and classify.calls[-1] == 3
    assert probe.shortest_sufficient(order, 1.0) == 10
    np.testing.assert_allclose(probe.probabilities(order, [2, 5, 10]), [0.2, 0.5, 1.0])
    # what a kept mask holds is the same insertion, whatever made the mask
    mask = np.isin(labels, order[:4])
    np.testing.assert_allclose(kept_probabilities(classify, image, [mask], 0), [0.4])
    # another ranking is another insertion
    assert probe.shortest_sufficient(order[::-1], 0.45) == 5
    assert probe.probabilities(order[::-1], [1])[0] == pytest.approx(0.1)


@pytest.mark.parametrize("steps", [1, 3, 10])
def test_curves_classify_each_distinct_image_once(steps):
    """2 x steps images for both curves (they share the image and its blur), each curve equal
    to classifying every one of its steps separately."""
    image, labels = _striped_case()
    order = np.array([9, 2, 5, 0, 7, 1, 3, 8, 4, 6])
    scores = np.empty(10)
    scores[order] = np.arange(10, 0, -1)
    classify = _ShareOfImage(image)
    curves = region_curves(classify, image, labels, scores, 0, steps=steps, batch_size=4)
    assert sum(classify.calls) == 2 * steps
    background = blurred(image)
    rank = np.empty(10, dtype=int)
    rank[order] = np.arange(10)
    for fraction, deleted, inserted in zip(
        curves.fractions, curves.deletion, curves.insertion, strict=True
    ):
        gone = (rank[labels] < round(fraction * 10))[..., None]
        one = lambda picture: classify(picture[None])[0, 0]  # noqa: E731
        assert deleted == one(np.where(gone, background, image))
        assert inserted == one(np.where(gone, image, background))


def test_kept_classifies_equal_masks_once_and_answers_each():
    image, labels = _striped_case()
    classify = _ShareOfImage(image)
    left, right = labels < 3, labels >= 8
    masks = [left, right, left.copy(), np.ones_like(left), right]
    kept = kept_probabilities(classify, image, masks, 0, batch_size=8)
    assert classify.calls == [3]
    np.testing.assert_allclose(kept, [0.3, 0.2, 0.3, 1.0, 0.2])
    assert kept_probabilities(classify, image, [], 0).shape == (0,)
