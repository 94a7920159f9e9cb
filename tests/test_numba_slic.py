"""SLIC compiled with numba against skimage's, the reference, on real photographs: the same
labels and the same CIELAB to the bit, whatever the number of threads; odd images; bad input."""

import json
import subprocess
import sys

import numba
import numpy as np
import pytest
from skimage.color import rgb2lab
from skimage.segmentation import slic as skimage_slic
from skimage.util import img_as_float

from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.numba_slic import _lab, slic
from secam.segmentation import segment

from .conftest import ilsvrc_photographs, sample_image_path


def reference(image: np.ndarray, **options) -> np.ndarray:
    options = {"n_segments": 50, "compactness": 10.0, **options}
    return skimage_slic(image, start_label=0, channel_axis=-1, **options)


@pytest.fixture(scope="module")
def photographs(ilsvrc_sample) -> list[np.ndarray]:
    """Eight validation photographs (every 25th of the sample): landscape and portrait."""
    return ilsvrc_photographs(ilsvrc_sample, every=25, count=8)


@pytest.fixture(scope="module")
def embedded() -> list[np.ndarray]:
    names = ("chelsea", "china", "coffee", "grace_hopper", "motorcycle_left", "rocket")
    return [load_rgb(ImageSource(str(sample_image_path(name)))) for name in names]


def test_labels_are_skimages_on_real_photographs(photographs, embedded):
    images = photographs + embedded
    assert len({image.shape for image in images}) >= 6
    for image in images:
        assert np.array_equal(slic(image), reference(image))


def test_smoothing_and_other_parameters_follow_skimage(photographs):
    for image in photographs[:3]:
        assert np.array_equal(slic(image, sigma=1.0), reference(image, sigma=1.0))
        assert np.array_equal(
            slic(image, n_segments=120, compactness=20.0),
            reference(image, n_segments=120, compactness=20.0),
        )
        assert np.array_equal(slic(image, max_num_iter=3), reference(image, max_num_iter=3))


def test_the_cielab_features_are_skimages_to_the_bit(photographs, embedded):
    """rgb2lab of the image stretched to its own range, as skimage's slic computes it."""
    for image in photographs + embedded:
        stretched = img_as_float(image).astype(np.float64, copy=True)
        stretched -= stretched.min()
        stretched /= stretched.max()
        assert np.array_equal(_lab(image), rgb2lab(stretched[np.newaxis])[0])


def test_the_labels_do_not_depend_on_the_number_of_threads(photographs):
    before = numba.get_num_threads()
    try:
        found = {}
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            found[threads] = [slic(image) for image in photographs[:4]]
    finally:
        numba.set_num_threads(before)
    first, *others = found.values()
    for other in others:
        for a, b in zip(first, other, strict=True):
            assert np.array_equal(a, b)


def test_odd_images_give_skimages_labels():
    """Tiny, flat, one-row, thin and black images: where a grid has few cells, none, or no
    colour to cluster on."""
    noise = np.random.default_rng(0).integers(0, 256, size=(300, 50, 3), dtype=np.uint8)
    for image in (
        noise[:5, :7],
        np.full((40, 60, 3), 128, dtype=np.uint8),
        noise[:1],
        noise[:, :20],
        np.zeros((30, 30, 3), dtype=np.uint8),
    ):
        assert np.array_equal(slic(np.ascontiguousarray(image)), reference(image))


def test_the_numba_backend_through_segment(photographs):
    image = photographs[0]
    for downscale in (1, 2):
        ours = segment(image, backend="numba", downscale=downscale)
        assert np.array_equal(ours, segment(image, backend="skimage", downscale=downscale))


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match=r"expected an \(H, W, 3\) uint8 image"):
        slic(np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(ValueError, match="max_num_iter"):
        slic(np.zeros((10, 10, 3), dtype=np.uint8), max_num_iter=0)
    with pytest.raises(ValueError, match="compactness"):
        slic(np.zeros((10, 10, 3), dtype=np.uint8), compactness=0)


def test_warm_up_leaves_nothing_to_compile_for_a_photograph(ilsvrc_sample):
    """In a fresh interpreter, warm_up() compiles (or loads from the disk cache) every function
    a photograph's segmentation calls: segmenting one afterwards adds no compiled signature."""
    [path] = sorted((ilsvrc_sample / "ILSVRC" / "Data" / "CLS-LOC" / "val").glob("*.JPEG"))[:1]
    code = (
        "import json\n"
        "import secam.numba_slic as n\n"
        "from secam.imaging import load_rgb\n"
        "compiled = [n._kmeans, n._assign, n._move_centres]\n"
        "count = lambda: [len(f.signatures) for f in compiled]\n"
        "before = count()\n"
        "n.warm_up()\n"
        "warmed = count()\n"
        f"n.slic(load_rgb({str(path)!r}))\n"
        "print(json.dumps([before, warmed, count()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, warmed, after = json.loads(done.stdout)
    assert before == [0, 0, 0]
    # the entry point is ready (its callees hold signatures only where they were compiled, not
    # loaded from the disk cache), and the photograph needed nothing new
    assert warmed[0] >= 1 and warmed == after
