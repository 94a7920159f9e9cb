"""One path from a map to explanations: upsample, region mean (Eq. 4), selection."""

import numpy as np
import pytest
import torch

from secam.map_explanation import explain_map
from secam.regions import region_means, upsample
from secam.segmentation import segment
from secam.selection import Selection, regions_mask, select_regions, threshold_mask
from secam.timing import Stopwatch

SELECTIONS = [Selection("top_k", 2), Selection("top_k", 99), Selection("threshold", 0.7)]


@pytest.fixture(scope="module")
def case(coffee):
    image = coffee[::2, ::2]
    labels = segment(image, n_segments=40)
    grid = np.random.default_rng(0).normal(size=(7, 7)).astype(np.float32)
    return image.shape[:2], labels, grid


def test_regions_follow_eq4_then_select(case):
    size, labels, grid = case
    watch = Stopwatch()
    explained = explain_map(grid, size, labels, "regions", SELECTIONS, watch=watch)
    full = upsample(torch.from_numpy(grid), size)
    scores = region_means(full, labels).numpy()
    torch.testing.assert_close(explained.full_map, full, rtol=0, atol=0)
    np.testing.assert_array_equal(explained.region_scores, scores)
    np.testing.assert_array_equal(explained.heatmap, scores[labels])
    for selection, selected in zip(SELECTIONS, explained.selected, strict=True):
        regions, truncated = select_regions(scores, selection)
        assert selected.selection == selection and selected.truncated == truncated
        np.testing.assert_array_equal(selected.regions, regions)
        np.testing.assert_array_equal(selected.mask, regions_mask(labels, regions))
        assert selected.seconds > 0
    assert [s.truncated for s in explained.selected] == [False, True, False]
    assert watch["upsample"] > 0 and watch["region"] > 0 and watch["select"] == 0


def test_pixels_threshold_the_full_map(case):
    size, _, grid = case
    watch = Stopwatch()
    explained = explain_map(grid, size, None, "pixels", SELECTIONS[2:], watch=watch)
    full = upsample(grid, size)
    assert explained.region_scores is None and watch["region"] == 0
    np.testing.assert_array_equal(explained.heatmap, full.numpy())
    (selected,) = explained.selected
    np.testing.assert_array_equal(selected.mask, threshold_mask(full, 0.7))
    assert selected.regions.size == 0 and not selected.truncated


def test_given_scores_are_selected_as_they_are(case):
    """LIME: scores from the surrogate, no map; the heatmap is each pixel's region score."""
    size, labels, _ = case
    scores = np.random.default_rng(1).normal(size=int(labels.max()) + 1)
    explained = explain_map(None, size, labels, "lime", SELECTIONS[:1], region_scores=scores)
    assert explained.full_map is None
    np.testing.assert_array_equal(explained.heatmap, scores[labels])
    np.testing.assert_array_equal(
        explained.selected[0].regions, select_regions(scores, SELECTIONS[0])[0]
    )


def test_pixel_method_with_labels_gets_region_scores_for_the_curves(case):
    size, labels, grid = case
    explained = explain_map(grid, size, labels, "pixels")
    np.testing.assert_array_equal(
        explained.region_scores, region_means(upsample(grid, size), labels).numpy()
    )
    assert explained.selected == []


def test_misuse_is_named(case):
    size, labels, grid = case
    with pytest.raises(ValueError, match="unknown method kind"):
        explain_map(grid, size, labels, "heatmap")
    with pytest.raises(ValueError, match="give labels"):
        explain_map(grid, size, None, "regions", SELECTIONS[:1])
    with pytest.raises(ValueError, match="give grid_map"):
        explain_map(None, size, labels, "pixels", SELECTIONS[2:])
