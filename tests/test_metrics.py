import numpy as np
import pytest
import torch
from torchvision.ops import box_iou as torchvision_box_iou

from secam.metrics import EBPG, BoxIoU, MaskIoU, box_area, box_iou, boxes_mask, mask_bbox


def test_inclusive_box_convention():
    assert box_area([0, 0, 0, 0]) == 1
    assert box_area([2, 3, 5, 4]) == 4 * 2  # 4 columns (x 2..5), 2 rows (y 3..4)
    mask = boxes_mask([[2, 3, 5, 4]], (10, 10))
    assert mask.sum() == 8 and mask[3, 2] and mask[4, 5] and not mask[5, 5] and not mask[3, 6]
    assert mask_bbox(mask) == [2, 3, 5, 4]


def test_x_and_y_are_not_swapped():
    mask = np.zeros((20, 50), dtype=bool)  # wide image: x up to 49, y up to 19
    mask[2:5, 30:40] = True
    assert mask_bbox(mask) == [30, 2, 39, 4]
    assert BoxIoU().evaluate_batch([mask], [[[30, 2, 39, 4]]])[0] == 1.0
    assert BoxIoU().evaluate_batch([mask], [[[2, 30, 4, 39]]])[0] == 0.0


def test_box_iou_matches_torchvision_with_inclusive_ends():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a = sorted(rng.integers(0, 100, 2)), sorted(rng.integers(0, 100, 2))
        b = sorted(rng.integers(0, 100, 2)), sorted(rng.integers(0, 100, 2))
        box_a = [a[0][0], a[1][0], a[0][1], a[1][1]]
        box_b = [b[0][0], b[1][0], b[0][1], b[1][1]]
        # torchvision uses continuous corners: an inclusive box ends one pixel later
        expected = torchvision_box_iou(
            torch.tensor([box_a], dtype=torch.float64) + torch.tensor([0, 0, 1, 1]),
            torch.tensor([box_b], dtype=torch.float64) + torch.tensor([0, 0, 1, 1]),
        ).item()
        assert box_iou(box_a, box_b) == pytest.approx(expected, abs=1e-12)


def test_best_matching_box_and_union_of_boxes():
    mask = np.zeros((100, 100), dtype=bool)
    mask[10:20, 10:20] = True  # 100 pixels, bbox [10, 10, 19, 19]
    boxes = [[60, 60, 99, 99], [10, 10, 29, 19]]  # second box: 200 pixels, holds the mask
    assert BoxIoU().evaluate_batch([mask], [boxes])[0] == pytest.approx(100 / 200)
    union = 1600 + 200
    assert MaskIoU().evaluate_batch([mask], [boxes])[0] == pytest.approx(100 / union)
    assert EBPG().evaluate_batch([mask], [boxes])[0] == 1.0


def test_ebpg_counts_the_share_inside():
    mask = np.zeros((10, 10), dtype=bool)
    mask[0, :] = True  # 10 pixels, 4 of them inside the box
    assert EBPG().evaluate_batch([mask], [[[0, 0, 3, 5]]])[0] == pytest.approx(0.4)


def test_overlapping_boxes_are_counted_once_in_the_union():
    mask = np.ones((10, 10), dtype=bool)
    boxes = [[0, 0, 5, 5], [3, 3, 9, 9]]
    gt = boxes_mask(boxes, (10, 10))
    assert gt.sum() == 36 + 49 - 9
    assert MaskIoU().evaluate_batch([mask], [boxes])[0] == pytest.approx(76 / 100)


def test_empty_explanation():
    empty = np.zeros((5, 5), dtype=bool)
    assert BoxIoU().evaluate_batch([empty], [[[0, 0, 1, 1]]])[0] == 0.0
    assert MaskIoU().evaluate_batch([empty], [[[0, 0, 1, 1]]])[0] == 0.0
    assert np.isnan(EBPG().evaluate_batch([empty], [[[0, 0, 1, 1]]])[0])
