"""One explanation drawn over its image, with the superpixel numbers of the paper's Figure 1."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage.segmentation import find_boundaries

from secam.report.overlay import draw_overlay, region_label_points
from secam.segmentation import segment


@pytest.fixture(scope="module")
def regions(chelsea) -> np.ndarray:
    return segment(chelsea, n_segments=20)


def test_label_points_lie_deepest_inside_each_region():
    labels = np.zeros((10, 20), dtype=np.int32)
    labels[:, 10:] = 1
    labels[2:8, 12:18] = 3  # region 2 absent: skipped
    points = region_label_points(labels)
    assert [region for region, _, _ in points] == [0, 1, 3]
    (_, x0, y0), (_, x1, y1), (_, x3, y3) = points
    assert (x0, y0) in {(4.0, 4.0), (4.0, 5.0), (5.0, 4.0), (5.0, 5.0)}  # the block's centre
    assert labels[int(y1), int(x1)] == 1
    assert (x3, y3) in {(14.0, 4.0), (15.0, 4.0), (14.0, 5.0), (15.0, 5.0)}


def test_a_ring_is_numbered_on_the_ring_not_in_its_hole():
    labels = np.zeros((21, 21), dtype=np.int32)
    labels[5:16, 5:16] = 1  # region 0 is a ring around region 1
    points = dict((region, (x, y)) for region, x, y in region_label_points(labels))
    x, y = points[0]
    assert labels[int(y), int(x)] == 0
    assert points[1] == (10.0, 10.0)


def test_every_superpixel_of_a_real_segmentation_gets_a_point_inside_it(regions):
    points = region_label_points(regions)
    assert [r for r, _, _ in points] == list(range(int(regions.max()) + 1))
    for region, x, y in points:
        assert regions[int(y), int(x)] == region


def test_overlay_file_has_the_image_size(chelsea, regions, tmp_path):
    mask = np.isin(regions, [1, 2])
    out = tmp_path / "figures" / "overlay.png"  # folders are made
    draw_overlay(chelsea, regions, mask, np.array([1, 2]), out, title="SeCAM")
    with Image.open(out) as written:
        assert written.format == "PNG"
        assert written.size == (chelsea.shape[1], chelsea.shape[0])
    assert sorted(tmp_path.rglob("*")) == [out.parent, out]  # no temporary file left
    segmentation_only = tmp_path / "segments.pdf"
    draw_overlay(chelsea, regions, None, np.array([], dtype=int), segmentation_only)
    assert segmentation_only.read_bytes().startswith(b"%PDF")


def test_overlay_darkens_outside_the_mask_and_numbers_the_regions(chelsea, regions):
    mask = np.isin(regions, [3, 5])
    figure, axis = plt.subplots()
    try:
        draw_overlay(chelsea, regions, mask, np.array([5, 3]), axis=axis, title="top2")
        shown = axis.images[0].get_array()
        texts = {int(t.get_text()): t for t in axis.texts}
        title = axis.get_title()
    finally:
        plt.close(figure)
    shown = np.asarray(shown)
    assert shown.shape == chelsea.shape
    # the yellow outline: the mask's edge, dilated by one pixel on an image this wide
    outline = ndimage.binary_dilation(find_boundaries(mask, mode="inner"), iterations=1)
    assert (shown[outline] == (255, 210, 0)).all()
    borders = find_boundaries(regions, mode="inner") & ~outline
    assert borders.sum() > 1000 and (shown[borders] == 235).all()
    plain = ~outline & ~borders
    inside, outside = plain & mask, plain & ~mask
    assert inside.sum() > 1000 and outside.sum() > 1000
    assert np.array_equal(shown[inside], chelsea[inside])
    assert np.array_equal(shown[outside], (chelsea[outside] * 0.35).astype(np.uint8))
    assert sorted(texts) == list(range(int(regions.max()) + 1))
    assert {r for r, t in texts.items() if t.get_fontweight() == "bold"} == {3, 5}
    assert title == "top2"


def test_overlay_without_numbers(chelsea, regions):
    figure, axis = plt.subplots()
    try:
        draw_overlay(chelsea, regions, None, np.array([0]), axis=axis, numbers=False)
        assert len(axis.texts) == 0 and axis.get_title() == ""
        shown = np.asarray(axis.images[0].get_array())
    finally:
        plt.close(figure)
    untouched = ~find_boundaries(regions, mode="inner")
    assert np.array_equal(shown[untouched], chelsea[untouched])  # no mask: nothing darkened
