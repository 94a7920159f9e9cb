"""Explanations at a chosen area: exact thresholds, whole superpixels, and the identity that a
method drawn at its own area gives back its own explanation (real validation images)."""

import numpy as np
import pytest
import torch

from secam.activations import CAMMapper
from secam.area import CentredBox, PixelRanking, RegionRanking
from secam.imaging import load_rgb
from secam.regions import region_means, upsample
from secam.segmentation import segment
from secam.selection import (
    Selection,
    rank_regions,
    regions_mask,
    select_regions,
    threshold_mask,
)


@pytest.fixture(scope="module")
def real_maps(embedded_model, ilsvrc_sample):
    """(image, upsampled CAM, SLIC labels, SeCAM region scores) of four validation images."""
    paths = sorted(ilsvrc_sample.glob("ILSVRC/Data/CLS-LOC/val/*.JPEG"))[:4]
    images = [load_rgb(path) for path in paths]
    maps = CAMMapper(embedded_model)(embedded_model.preprocessing(images)).maps
    cases = []
    for image, grid in zip(images, maps, strict=True):
        heatmap = upsample(grid, image.shape[:2])
        labels = segment(image)
        scores = region_means(heatmap, torch.from_numpy(labels)).numpy()
        cases.append((image, heatmap, labels, scores))
    return cases


def test_matched_area_threshold_on_real_images(real_maps):
    """CAM thresholded to the area of SeCAM's top-k selections: the area within 1 % of the
    target, and a true threshold (every pixel in above every pixel out)."""
    for _, heatmap, labels, scores in real_maps:
        for k in (2, 3, 4):
            target = regions_mask(labels, select_regions(scores, Selection("top_k", k))[0]).mean()
            mask = PixelRanking(heatmap.numpy()).mask_at(target)
            assert abs(mask.mean() - target) <= 0.01 * target
            assert heatmap.numpy()[mask].min() >= heatmap.numpy()[~mask].max()


def test_a_method_at_its_own_area_gives_back_its_explanation(real_maps):
    """The matched comparison of a method with itself would be exactly zero: CAM's threshold
    masks and SeCAM's top-k and threshold selections are reproduced from their areas alone."""
    for _, heatmap, labels, scores in real_maps:
        pixels = PixelRanking(heatmap.numpy())
        for fraction in (0.8, 0.7, 0.6):
            own = threshold_mask(heatmap, fraction)
            assert np.array_equal(pixels.mask_at(own.mean()), own)
        regions = RegionRanking(labels, rank_regions(scores))
        for selection in (Selection("top_k", 3), Selection("threshold", 0.7)):
            own = regions_mask(labels, select_regions(scores, selection)[0])
            assert np.array_equal(regions.mask_at(own.mean()), own)


def test_region_ranking_takes_whole_regions_closest_to_the_area(coffee):
    labels = segment(coffee)
    order = np.random.default_rng(0).permutation(int(labels.max()) + 1)
    ranking = RegionRanking(labels, order)
    # independently: the area of every prefix, counted on its mask
    prefixes = [regions_mask(labels, order[:count]).mean() for count in range(1, order.size + 1)]
    for target in np.linspace(0, 1, 41):
        mask = ranking.mask_at(target)
        best = int(np.argmin([abs(a - target) for a in prefixes]))
        assert mask.mean() == pytest.approx(prefixes[best])
        assert np.array_equal(mask, regions_mask(labels, order[: best + 1]))
        # never a split superpixel
        assert all(mask[labels == r].all() or not mask[labels == r].any() for r in order)


def test_centred_box_has_the_area():
    box = CentredBox((375, 500))
    for target in (0.01, 0.3, 0.77):
        assert box.mask_at(target).mean() == pytest.approx(target, rel=0.01)
