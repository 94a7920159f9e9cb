import numpy as np
import pytest
import torch
from torchvision.ops import box_iou as torchvision_box_iou

from secam.metrics import (
    EBPG,
    METRIC_NAMES,
    BoxIoU,
    EnergyEBPG,
    Explained,
    MaskIoU,
    PointingGame,
    box_area,
    box_iou,
    boxes_mask,
    mask_bbox,
    score_batch,
)
from secam.segmentation import segment


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
    assert BoxIoU().evaluate_batch([Explained(mask)], [[[30, 2, 39, 4]]])[0] == 1.0
    assert BoxIoU().evaluate_batch([Explained(mask)], [[[2, 30, 4, 39]]])[0] == 0.0


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
    assert BoxIoU().evaluate_batch([Explained(mask)], [boxes])[0] == pytest.approx(100 / 200)
    union = 1600 + 200
    assert MaskIoU().evaluate_batch([Explained(mask)], [boxes])[0] == pytest.approx(100 / union)
    assert EBPG().evaluate_batch([Explained(mask)], [boxes])[0] == 1.0


def test_ebpg_counts_the_share_inside():
    mask = np.zeros((10, 10), dtype=bool)
    mask[0, :] = True  # 10 pixels, 4 of them inside the box
    assert EBPG().evaluate_batch([Explained(mask)], [[[0, 0, 3, 5]]])[0] == pytest.approx(0.4)


def test_overlapping_boxes_are_counted_once_in_the_union():
    mask = np.ones((10, 10), dtype=bool)
    boxes = [[0, 0, 5, 5], [3, 3, 9, 9]]
    gt = boxes_mask(boxes, (10, 10))
    assert gt.sum() == 36 + 49 - 9
    assert MaskIoU().evaluate_batch([Explained(mask)], [boxes])[0] == pytest.approx(76 / 100)


def test_empty_explanation():
    empty = np.zeros((5, 5), dtype=bool)
    assert BoxIoU().evaluate_batch([Explained(empty)], [[[0, 0, 1, 1]]])[0] == 0.0
    assert MaskIoU().evaluate_batch([Explained(empty)], [[[0, 0, 1, 1]]])[0] == 0.0
    assert np.isnan(EBPG().evaluate_batch([Explained(empty)], [[[0, 0, 1, 1]]])[0])


# --- the two heatmap metrics, through the batch interface -------------------------------------


def _hit(heatmap, boxes):
    return PointingGame().evaluate_batch([Explained(heatmap=heatmap)], [boxes])[0]


def _energy(heatmap, boxes):
    return EnergyEBPG().evaluate_batch([Explained(heatmap=heatmap)], [boxes])[0]


def test_pointing_game():
    heat = np.zeros((20, 30))
    heat[5:8, 20:25] = 1.0  # a plateau, like a superpixel's score
    assert _hit(heat, [[18, 3, 29, 10]]) == 1.0
    assert _hit(heat, [[0, 0, 10, 10]]) == 0.0


def test_pointing_game_points_at_the_plateau_s_deepest_pixel():
    """An L-shaped plateau whose first maximum (raster order) is in its thin arm: the finger goes
    to the thick part, so only a box around that part is hit."""
    heat = np.zeros((40, 40), dtype=np.float32)
    heat[2:4, 2:30] = 5.0  # thin arm, 2 rows high: its pixels are at depth 1
    heat[2:30, 22:38] = 5.0  # thick part, 16 columns wide: its centre is at depth 8
    assert _hit(heat, [[0, 0, 10, 5]]) == 0.0  # holds the first argmax, not the deepest pixel
    assert _hit(heat, [[24, 5, 36, 25]]) == 1.0


def test_energy_ebpg_by_hand():
    heat = np.zeros((10, 10))
    heat[0, 0:4] = [1.0, 2.0, -5.0, 3.0]  # negative evidence carries no energy
    heat[9, 9] = 4.0
    assert _energy(heat, [[0, 0, 2, 0]]) == pytest.approx(3 / 10)
    assert _energy(heat, [[0, 0, 3, 0], [9, 9, 9, 9]]) == 1.0
    assert np.isnan(_energy(-np.ones((4, 4)), [[0, 0, 1, 1]]))  # no positive mass


def _deepest_by_brute_force(plateau: np.ndarray) -> tuple[int, int]:
    """The plateau pixel farthest (Euclidean) from every pixel outside it, the frame around the
    image counting as outside; ties to the first in raster order."""
    h, w = plateau.shape
    framed = np.pad(plateau, 1)
    outside = np.argwhere(~framed)
    inside = np.argwhere(framed)
    best, where = -1.0, None
    for y, x in inside:  # raster order
        depth = np.sqrt(((outside - (y, x)) ** 2).sum(axis=1).min())
        if depth > best:
            best, where = depth, (int(y) - 1, int(x) - 1)
    assert where is not None and 0 <= where[0] < h and 0 <= where[1] < w
    return where


def test_heatmap_metrics_on_a_real_superpixel_explanation(coffee):
    """SeCAM-like heatmap (each pixel its superpixel's score) on a real photograph, against a
    computation over regions: energy = sum_r max(s_r, 0) |r & B| / sum_r max(s_r, 0) |r|, and
    the pointing game by a brute-force search for the best region's deepest pixel."""
    image = coffee[::4, ::4]  # small enough for the brute force
    labels = segment(image, n_segments=30)
    n = int(labels.max()) + 1
    scores = np.random.default_rng(7).normal(0.2, 1.0, n).astype(np.float32)
    heatmap = scores[labels]
    h, w = labels.shape
    boxes = [[w // 4, h // 5, w // 2, (3 * h) // 4], [w // 2, h // 2, w - 1, h - 1]]
    inside = boxes_mask(boxes, labels.shape)

    sizes = np.bincount(labels.ravel(), minlength=n)
    sizes_inside = np.bincount(labels[inside], minlength=n)
    positive = np.clip(scores.astype(np.float64), 0, None)
    expected_energy = (positive * sizes_inside).sum() / (positive * sizes).sum()

    best = int(np.argmax(scores))
    y, x = _deepest_by_brute_force(labels == best)
    expected_hit = float(inside[y, x])
    far = [[0, 0, 0, 0]] if not (y == 0 and x == 0) else [[w - 1, h - 1, w - 1, h - 1]]

    values = score_batch(
        [Explained(heatmap=heatmap)] * 2, [boxes, far], ["energy_ebpg", "pointing_hit"]
    )
    assert values["energy_ebpg"][0] == pytest.approx(expected_energy, rel=1e-12)
    assert values["pointing_hit"].tolist() == [expected_hit, 0.0]
    assert _hit(heatmap, [[x, y, x, y]]) == 1.0  # the one-pixel box at the point is hit


def test_score_batch_runs_every_metric_once_per_item():
    mask = np.zeros((12, 12), dtype=bool)
    mask[2:6, 2:6] = True
    heat = np.where(mask, 2.0, -1.0)
    other = np.zeros((12, 12))
    other[8:, 8:] = 1.0
    items = [Explained(mask, heat), Explained(mask, heat), Explained(~mask, other)]
    boxes = [[[0, 0, 5, 5]], [[6, 6, 11, 11]], [[6, 6, 11, 11]]]
    values = score_batch(items, boxes)
    assert tuple(values) == METRIC_NAMES
    assert all(v.shape == (3,) and v.dtype == np.float64 for v in values.values())
    # a heatmap shared by items (an image's selections) is scored per item's boxes
    assert values["energy_ebpg"].tolist() == [1.0, 0.0, 1.0]
    assert values["pointing_hit"].tolist() == [1.0, 0.0, 1.0]
    assert values["ebpg"].tolist() == [1.0, 0.0, 36 / 128]
    for metric in (BoxIoU(), MaskIoU(), EBPG(), EnergyEBPG(), PointingGame()):
        one_by_one = [metric.evaluate_batch([i], [b])[0] for i, b in zip(items, boxes, strict=True)]
        np.testing.assert_array_equal(values[metric.name], one_by_one)


def test_score_batch_names_what_is_missing():
    mask = np.ones((4, 4), dtype=bool)
    assert list(score_batch([Explained(mask)], [[[0, 0, 1, 1]]], ["box_iou", "ebpg"])) == [
        "box_iou",
        "ebpg",
    ]
    with pytest.raises(ValueError, match="energy_ebpg needs the explanation's heatmap"):
        score_batch([Explained(mask)], [[[0, 0, 1, 1]]])
    with pytest.raises(ValueError, match="unknown metrics"):
        score_batch([Explained(mask)], [[[0, 0, 1, 1]]], ["iou"])
    with pytest.raises(ValueError, match="box lists"):
        score_batch([Explained(mask)], [])
