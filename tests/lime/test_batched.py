"""The batched LIME (images built on the device) against the lime package's, sample for sample;
both timed by component without a change of score."""

import numpy as np
import pytest

from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.lime.batched import lime_batched_region_scores, mean_colour_image
from secam.lime.reference import lime_region_scores
from secam.segmentation import segment
from secam.timing import Stopwatch


@pytest.mark.parametrize("scorer", [lime_region_scores, lime_batched_region_scores])
def test_lime_times_its_components_without_changing_its_scores(
    embedded_model, small_coffee, scorer
):
    labels = segment(small_coffee, n_segments=20)
    watch = Stopwatch()
    timed = scorer(embedded_model, small_coffee, labels, 967, num_samples=24, seed=1, watch=watch)
    plain = scorer(embedded_model, small_coffee, labels, 967, num_samples=24, seed=1)
    np.testing.assert_array_equal(timed, plain)
    assert watch["forward"] > 0 and watch["surrogate"] > 0
    if scorer is lime_batched_region_scores:
        assert watch["sampling"] > 0


def test_mean_colour_image_is_the_packages_hidden_image(chelsea):
    labels = segment(chelsea, n_segments=30)
    expected = chelsea.copy()
    for region in np.unique(labels):  # lime_image.explain_instance with hide_color=None
        inside = labels == region
        expected[inside] = chelsea[inside].mean(axis=0)
    assert np.array_equal(mean_colour_image(chelsea, labels), expected)


@pytest.fixture(scope="module")
def real_photograph(ilsvrc_sample) -> np.ndarray:
    folder = ilsvrc_sample / "ILSVRC" / "Data" / "CLS-LOC" / "val"
    return load_rgb(ImageSource(str(sorted(folder.glob("*.JPEG"))[0])))


@pytest.mark.parametrize("batch_size", [4, 7])
def test_lime_batched_matches_the_package_sample_for_sample(
    embedded_model, real_photograph, batch_size
):
    """Same seeded samples and surrogate; the images are built on the device instead of in a
    loop, which only changes float rounding (the resize is linear in the pixels)."""
    labels = segment(real_photograph, n_segments=50)
    args = (embedded_model, real_photograph, labels, 65)
    reference = lime_region_scores(*args, num_samples=60, seed=5)
    batched = lime_batched_region_scores(*args, num_samples=60, seed=5, batch_size=batch_size)
    assert np.abs(reference).max() > 1e-3  # a real explanation, not all zeros
    np.testing.assert_allclose(batched, reference, rtol=0, atol=1e-5 * np.abs(reference).max())
    again = lime_batched_region_scores(*args, num_samples=60, seed=5, batch_size=batch_size)
    assert np.array_equal(again, batched)
    other_seed = lime_batched_region_scores(*args, num_samples=60, seed=6, batch_size=batch_size)
    assert not np.allclose(other_seed, batched)
