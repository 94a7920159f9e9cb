"""The sanity baselines: seeded, area-exact, and comparable with real explanations."""

import numpy as np
import pytest

from secam.baselines import centre_box, full_image, image_rng, random_order, random_regions
from secam.segmentation import segment


def test_random_regions_are_reproducible_per_image_and_seed(coffee):
    labels = segment(coffee)
    draws = {
        (seed, image_id): random_regions(labels, 3, image_rng(seed, image_id))[0].tolist()
        for seed in (0, 1)
        for image_id in ("a", "b")
    }
    again = random_regions(labels, 3, image_rng(0, "a"))[0].tolist()
    assert again == draws[(0, "a")]
    assert len({tuple(d) for d in draws.values()}) == 4  # seed and image both matter
    assert all(len(set(d)) == 3 for d in draws.values())


def test_random_regions_are_the_first_of_the_random_order(coffee):
    """The fixed top-k draw and the area-matched draw (a prefix of the order) agree."""
    labels = segment(coffee)
    order = random_order(int(labels.max()) + 1, image_rng(3, "coffee"))
    assert sorted(order.tolist()) == list(range(int(labels.max()) + 1))
    for k in (2, 3, 4):
        regions, _ = random_regions(labels, k, image_rng(3, "coffee"))
        assert regions.tolist() == sorted(order[:k].tolist())


def test_random_regions_take_every_region_when_k_exceeds_them():
    labels = np.zeros((10, 10), dtype=np.int32)
    labels[:, 5:] = 1
    regions, truncated = random_regions(labels, 4, image_rng(0, "x"))
    assert regions.tolist() == [0, 1] and truncated
    assert not random_regions(labels, 2, image_rng(0, "x"))[1]


@pytest.mark.parametrize("shape", [(375, 500), (500, 333), (224, 224)])
@pytest.mark.parametrize("area", [0.05, 0.2, 0.5, 0.9])
def test_centre_box_has_the_area_and_is_centred(shape, area):
    mask = centre_box(shape, area)
    assert abs(mask.mean() - area) <= 0.01
    rows, cols = np.nonzero(mask)
    assert abs(rows.mean() - (shape[0] - 1) / 2) <= 1 and abs(cols.mean() - (shape[1] - 1) / 2) <= 1
    assert full_image(shape).all()
