"""LIME through the lime package (lime_image), on the embedded model."""

import numpy as np

from secam.lime.reference import lime_region_scores
from secam.segmentation import segment


def test_same_seed_gives_identical_scores(embedded_model, small_coffee):
    labels = segment(small_coffee, n_segments=20)
    first = lime_region_scores(embedded_model, small_coffee, labels, 967, num_samples=40, seed=3)
    second = lime_region_scores(embedded_model, small_coffee, labels, 967, num_samples=40, seed=3)
    assert first.shape == (labels.max() + 1,)
    assert np.array_equal(first, second)
    other = lime_region_scores(embedded_model, small_coffee, labels, 967, num_samples=40, seed=4)
    assert not np.array_equal(first, other)


def test_lime_uses_the_given_superpixels(embedded_model, small_coffee):
    # two regions only: LIME can only ever weigh those two
    labels = np.zeros(small_coffee.shape[:2], dtype=np.int32)
    labels[:, small_coffee.shape[1] // 2 :] = 1
    scores = lime_region_scores(embedded_model, small_coffee, labels, 967, num_samples=30, seed=0)
    assert scores.shape == (2,) and np.any(scores != 0)
