"""SLIC in torch against skimage's, the reference, on real photographs: the same labels in
float64, agreement above a floor in float32, batches of mixed sizes, determinism, connectivity."""

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.color import rgb2lab
from skimage.segmentation import slic as skimage_slic
from skimage.util import regular_grid
from sklearn.metrics import adjusted_rand_score

from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.segmentation import segment, segment_batch
from secam.slic_connectivity import MIN_SIZE_FACTOR
from secam.torch_slic import gaussian_smoothed, rgb_to_lab, slic

from .conftest import ilsvrc_photographs, sample_image_path

# float32 against skimage's float64 (ARI); the README's and the schema's "above 0.99"
FLOAT32_ARI_FLOOR = 0.99


def reference(image: np.ndarray, **options) -> np.ndarray:
    return skimage_slic(image, n_segments=50, compactness=10, start_label=0, **options)


@pytest.fixture(scope="module")
def photographs(ilsvrc_sample) -> list[np.ndarray]:
    """Four validation photographs of four sizes (every 50th of the sample)."""
    return ilsvrc_photographs(ilsvrc_sample, every=50, count=4)


@pytest.fixture(scope="module")
def embedded() -> list[np.ndarray]:
    return [
        load_rgb(ImageSource(str(sample_image_path(name))))
        for name in ("chelsea", "coffee", "rocket")
    ]


def test_float64_labels_are_skimages_on_real_photographs(photographs, embedded):
    images = photographs + embedded
    assert len({image.shape for image in images}) >= 5
    for image, ours in zip(images, slic(images, dtype=torch.float64), strict=True):
        assert np.array_equal(ours, reference(image))


def test_float32_agrees_with_skimage_above_the_floor(photographs):
    for image in photographs:
        ours = slic([image])[0]
        truth = reference(image)
        assert adjusted_rand_score(truth.ravel(), ours.ravel()) > FLOAT32_ARI_FLOOR
        assert ours.max() == truth.max()


def test_smoothing_and_other_parameters_follow_skimage(photographs):
    image = photographs[0]
    ours = slic([image], n_segments=80, compactness=20, sigma=1.5, dtype=torch.float64)[0]
    truth = skimage_slic(image, n_segments=80, compactness=20, sigma=1.5, start_label=0)
    assert np.array_equal(ours, truth)
    assert not np.array_equal(ours, reference(image))  # the parameters did change something


def test_lab_and_smoothing_equal_skimage_and_scipy(photographs):
    image = photographs[1][:120, :90]
    rgb = torch.tensor(image).permute(2, 0, 1).double() / 255
    lab = rgb_to_lab(rgb)
    expected = rgb2lab(image).transpose(2, 0, 1)
    np.testing.assert_allclose(lab.numpy(), expected, rtol=0, atol=1e-10)
    smoothed = gaussian_smoothed(lab, 2.0).numpy()
    for channel in range(3):
        scipy_smoothed = ndimage.gaussian_filter(expected[channel], 2.0, mode="reflect")
        np.testing.assert_allclose(smoothed[channel], scipy_smoothed, rtol=0, atol=1e-10)


def test_a_batch_of_mixed_sizes_equals_one_image_at_a_time(photographs, embedded):
    images = [photographs[2], embedded[1], photographs[0][:200, :333]]
    together = slic(images)
    for image, labels in zip(images, together, strict=True):
        assert labels.shape == image.shape[:2]
        assert np.array_equal(labels, slic([image])[0])


def test_labels_are_deterministic_contiguous_and_connected(photographs):
    image = photographs[3]
    labels = slic([image])[0]
    assert np.array_equal(labels, slic([image])[0])
    assert labels.dtype == np.int32
    assert set(np.unique(labels)) == set(range(labels.max() + 1))
    _, rows, cols = regular_grid((1, *labels.shape), 50)  # skimage's first centres
    grid_count = len(range(*rows.indices(labels.shape[0]))) * len(
        range(*cols.indices(labels.shape[1]))
    )
    min_size = int(MIN_SIZE_FACTOR * (labels.size / grid_count))
    for label in range(labels.max() + 1):
        _, count = ndimage.label(labels == label)  # 4-connectivity
        assert count == 1, f"label {label} is {count} pieces"
        assert (labels == label).sum() >= min_size


def test_the_torch_backend_through_segment(photographs):
    image = photographs[0]
    for downscale in (1, 2):
        ours = segment(image, backend="torch", downscale=downscale)
        theirs = segment(image, backend="skimage", downscale=downscale)
        assert adjusted_rand_score(theirs.ravel(), ours.ravel()) > FLOAT32_ARI_FLOOR
    batch = segment_batch(photographs[:2], backend="torch")
    for labels, image in zip(batch, photographs[:2], strict=True):
        assert np.array_equal(labels, segment(image, backend="torch"))
    with pytest.raises(ValueError, match="unknown SLIC backend 'cuda'"):
        segment(image, backend="cuda")


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match=r"expected \(H, W, 3\) uint8 images"):
        slic([np.zeros((10, 10), dtype=np.uint8)])
    with pytest.raises(ValueError, match="max_num_iter"):
        slic([np.zeros((10, 10, 3), dtype=np.uint8)], max_num_iter=0)
    assert slic([]) == []


def test_sums_on_cuda_are_ordered_and_the_mode_restored():
    """The centres' sums run in torch's deterministic mode on CUDA only (index_add_ otherwise
    adds floats in the order its atomics land), and the process's own setting comes back."""
    from secam.torch_slic import _deterministic_sums

    before = torch.are_deterministic_algorithms_enabled()
    try:
        for setting in (False, True):
            torch.use_deterministic_algorithms(setting)
            with _deterministic_sums(torch.device("cuda")):
                assert torch.are_deterministic_algorithms_enabled()
            assert torch.are_deterministic_algorithms_enabled() is setting
            with _deterministic_sums(torch.device("cpu")):
                assert torch.are_deterministic_algorithms_enabled() is setting
    finally:
        torch.use_deterministic_algorithms(before)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_labels_equal_the_cpu_labels_on_every_run(photographs, embedded):
    images = photographs + embedded
    on_cpu = slic(images, dtype=torch.float64)
    on_gpu = slic(images, dtype=torch.float64, device="cuda")
    for cpu, gpu in zip(on_cpu, on_gpu, strict=True):
        assert np.array_equal(cpu, gpu)
    in_float32 = slic(images, device="cuda")
    for image, gpu in zip(images, in_float32, strict=True):
        truth = reference(image)
        assert adjusted_rand_score(truth.ravel(), gpu.ravel()) > FLOAT32_ARI_FLOOR
    # the centres' sums are in a fixed order on the GPU too: the same labels on every run
    for first, again in zip(in_float32, slic(images, device="cuda"), strict=True):
        assert np.array_equal(first, again)


def test_odd_images_give_skimages_labels_alone_and_in_one_batch():
    """Tiny, flat, one-row, thin and black images: where a grid has few cells, none, or no
    colour to cluster on."""
    noise = np.random.default_rng(0).integers(0, 256, size=(300, 50, 3), dtype=np.uint8)
    images = [
        noise[:5, :7],
        np.full((40, 60, 3), 128, dtype=np.uint8),
        noise[:1],
        noise[:, :20],
        np.zeros((30, 30, 3), dtype=np.uint8),
    ]
    together = slic(images, dtype=torch.float64)
    for image, labels in zip(images, together, strict=True):
        assert np.array_equal(labels, reference(image))
        assert np.array_equal(labels, slic([image], dtype=torch.float64)[0])
