"""What both LIME implementations share: the classifier LIME queries and the score vector."""

import numpy as np
import pytest

from secam.lime.classifier import probability_fn, scores_by_region
from secam.timing import Stopwatch


def test_scores_by_region_indexes_the_weights_and_zeroes_the_rest():
    scores = scores_by_region([(2, 0.5), (0, -0.25), (4, 1e-3)], 6)
    assert scores.dtype == np.float64
    np.testing.assert_array_equal(scores, [-0.25, 0.0, 0.5, 0.0, 1e-3, 0.0])


def test_scores_by_region_takes_numpy_ids_and_an_iterator():
    pairs = iter([(np.int64(1), np.float32(0.5)), (3.0, 2)])
    np.testing.assert_array_equal(scores_by_region(pairs, 4), [0.0, 0.5, 0.0, 2.0])


def test_scores_by_region_without_weights_is_all_zero():
    np.testing.assert_array_equal(scores_by_region([], 3), np.zeros(3))
    assert scores_by_region([], 0).shape == (0,)


def test_scores_by_region_refuses_a_region_beyond_the_segmentation():
    with pytest.raises(IndexError):
        scores_by_region([(3, 1.0)], 3)


@pytest.fixture(scope="module")
def images(small_coffee):
    """Two images of the same size, as LIME's perturbed batches are."""
    return np.stack([small_coffee, small_coffee[::-1]])


@pytest.fixture(scope="module")
def probabilities(embedded_model, images):
    return probability_fn(embedded_model)(images)


def test_probability_fn_gives_a_distribution_per_image(probabilities):
    assert probabilities.shape == (2, 1000)
    assert probabilities.dtype == np.float64
    assert (probabilities >= 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert probabilities[0].argmax() == 967  # espresso, the sample's class


def test_probability_fn_clips_and_casts_float_images(embedded_model, images, probabilities):
    predict = probability_fn(embedded_model)
    np.testing.assert_array_equal(predict(images.astype(np.float32)), probabilities)
    # out-of-range values are clipped to 0..255, then cast to uint8
    stretched = images.astype(np.float64) * 3 - 200
    clipped = np.clip(images.astype(np.int64) * 3 - 200, 0, 255).astype(np.uint8)
    from_floats = predict(stretched)
    np.testing.assert_array_equal(from_floats, predict(clipped))
    assert not np.allclose(from_floats, probabilities, atol=1e-3)


def test_probability_fn_takes_a_list_of_images(embedded_model, images, probabilities):
    np.testing.assert_array_equal(probability_fn(embedded_model)(list(images)), probabilities)


def test_probability_fn_times_its_calls_in_the_forward_lap(embedded_model, images):
    watch = Stopwatch()
    predict = probability_fn(embedded_model, watch)
    predict(images[:1])
    first = watch["forward"]
    assert set(watch.seconds) == {"forward"} and first > 0
    predict(images[1:])
    assert watch["forward"] > first
    assert set(watch.seconds) == {"forward"}
