from collections.abc import Callable, Sequence
from types import ModuleType

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torchvision.ops import box_iou as torchvision_box_iou

from secam.activations import CAMMapper
from secam.annotations import read_loc_solution
from secam.imaging import load_rgb
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
from secam.models import LoadedModel
from secam.regions import region_means, upsample
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


# --- Quantus as an independent oracle, on real photographs (issue 18) --------------------------

Case = tuple[str, np.ndarray, list[list[int]]]  # (method, heatmap, human boxes)


@pytest.fixture(scope="module")
def quantus() -> ModuleType:
    return pytest.importorskip("quantus", reason="Quantus (the test extra) is not installed")


@pytest.fixture(scope="module")
def real_heatmaps(embedded_model: LoadedModel, ilsvrc_sample) -> list[Case]:
    """CAM's upsampled map and SeCAM's heatmap (each pixel its superpixel's score) of six
    validation photographs with their human boxes, for the top-1 class and for the 100th-ranked
    one: this model's top-1 CAMs are positive everywhere, the 100th class's carry the negative
    evidence that tells a positive-part mass from a signed one."""
    paths = sorted(ilsvrc_sample.glob("ILSVRC/Data/CLS-LOC/val/*.JPEG"))[::34][:6]
    annotations = read_loc_solution(ilsvrc_sample / "LOC_val_solution.csv").annotations
    images = [load_rgb(path) for path in paths]
    inputs = embedded_model.preprocessing(images)
    with torch.no_grad():
        ranked = embedded_model.module(inputs).argsort(dim=1, descending=True)
    cases: list[Case] = []
    for rank in (0, 99):
        maps = CAMMapper(embedded_model)(inputs, ranked[:, rank]).maps
        for path, image, grid in zip(paths, images, maps, strict=True):
            boxes = [box.as_list() for box in annotations[path.stem].boxes]
            cam = upsample(grid, image.shape[:2])
            labels = segment(image)
            scores = region_means(cam, torch.from_numpy(labels)).numpy()
            cases.append(("cam", cam.numpy().astype(np.float64), boxes))
            cases.append(("secam", scores[labels].astype(np.float64), boxes))
    assert any((heatmap < 0).any() for _, heatmap, _ in cases)  # the clip below matters
    return cases


def _drawn_mask(boxes: list[list[int]], shape: tuple[int, int]) -> np.ndarray:
    """The boxes as a mask drawn by PIL (its rectangles include both corners), not by
    :func:`boxes_mask`: Quantus takes masks, so the box-to-mask step is checked as well."""
    canvas = Image.new("1", (shape[1], shape[0]))
    draw = ImageDraw.Draw(canvas)
    for box in boxes:
        draw.rectangle(list(box), fill=1)
    return np.array(canvas)


def _quantus_score(
    metric: Callable[..., Sequence[float]], heatmap: np.ndarray, boxes: list[list[int]]
) -> float:
    """One Quantus localisation score; one image per call, since the photographs differ in size
    (Quantus stacks a batch). x_batch is read for its shape only."""
    x = np.zeros((1, 3, *heatmap.shape), dtype=np.float64)
    s = _drawn_mask(boxes, heatmap.shape)[None, None].astype(np.float64)
    a = heatmap[None, None]
    return float(metric(model=None, x_batch=x, y_batch=np.zeros(1, int), a_batch=a, s_batch=s)[0])


def _quadrants(height: int, width: int) -> list[list[list[int]]]:
    """Four one-box sets that tile the image: exactly one holds any given pixel."""
    ys, xs = (
        ((0, height // 2 - 1), (height // 2, height - 1)),
        ((0, width // 2 - 1), (width // 2, width - 1)),
    )
    return [[[x0, y0, x1, y1]] for y0, y1 in ys for x0, x1 in xs]


@pytest.mark.ilsvrc
def test_energy_ebpg_agrees_with_quantus_relevance_mass_accuracy(quantus, real_heatmaps):
    """Energy-EBPG is Quantus's Relevance Mass Accuracy (Arras et al.) of the heatmap's positive
    part. Quantus sums the attribution as given, signed (its docstring says 'positive'; abs=True
    would count negative evidence as mass instead), so it gets max(h, 0); its default
    normalise_by_max divides the whole batch by one positive number, which cancels in the ratio."""
    metric = quantus.RelevanceMassAccuracy(abs=False, normalise=True, disable_warnings=True)
    ours = EnergyEBPG().evaluate_batch(
        [Explained(heatmap=heatmap) for _, heatmap, _ in real_heatmaps],
        [boxes for _, _, boxes in real_heatmaps],
    )
    theirs = [_quantus_score(metric, np.clip(h, 0, None), b) for _, h, b in real_heatmaps]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


@pytest.mark.ilsvrc
def test_pointing_game_agrees_with_quantus(quantus, real_heatmaps):
    """Against quantus.PointingGame (no tolerance, unweighted, as ours) on the human boxes and on
    the four quadrants of each image (which catch swapped axes).

    The definitions differ on a plateau maximum: Quantus hits when *any* maximal pixel lies in
    the boxes, ours when the plateau's deepest pixel does. SeCAM's maximum is a whole superpixel,
    and so is CAM's where it sits at the image's edge (the bilinear upsampling is flat there). The
    two must agree unless the plateau straddles the boxes' edge, and then only Quantus hits."""
    metric = quantus.PointingGame(weighted=False, abs=False, disable_warnings=True)
    agreed: list[float] = []
    straddling = 0
    for _, heatmap, boxes in real_heatmaps:
        plateau = heatmap >= heatmap.max()
        for truth in [boxes, *_quadrants(*heatmap.shape)]:
            ours = _hit(heatmap, truth)
            theirs = _quantus_score(metric, heatmap, truth)
            inside = plateau & _drawn_mask(truth, heatmap.shape)
            if inside.any() and not np.array_equal(inside, plateau):
                straddling += 1
                assert ours <= theirs == 1.0
            else:
                assert ours == theirs
                agreed.append(ours)
    # both outcomes and the difference of definitions were exercised
    assert min(agreed.count(1.0), agreed.count(0.0)) >= len(real_heatmaps) // 2
    assert straddling > 0
