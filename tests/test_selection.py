import numpy as np
import pytest
import torch

from secam.selection import (
    Selection,
    rank_regions,
    regions_mask,
    select_regions,
    selections_from_config,
    threshold_mask,
)


def test_names_round_trip():
    for name in ["top2", "top4", "thr80", "thr60"]:
        assert Selection.parse(name).name == name
    with pytest.raises(ValueError):
        Selection.parse("best3")


def test_top_k_is_ordered_and_ties_go_to_the_lower_id():
    scores = np.array([0.1, 0.5, 0.5, -1.0, 0.3])
    assert rank_regions(scores).tolist() == [1, 2, 4, 0, 3]
    regions, truncated = select_regions(scores, Selection("top_k", 3))
    assert regions.tolist() == [1, 2, 4] and not truncated


def test_k_larger_than_the_regions_is_flagged():
    regions, truncated = select_regions(np.array([0.2, 0.1]), Selection("top_k", 4))
    assert regions.tolist() == [0, 1] and truncated


def test_threshold_keeps_regions_above_the_share_of_max():
    scores = np.array([1.0, 0.85, 0.75, 0.65, 0.1])
    assert select_regions(scores, Selection("threshold", 0.8))[0].tolist() == [0, 1]
    assert select_regions(scores, Selection("threshold", 0.7))[0].tolist() == [0, 1, 2]
    assert select_regions(scores, Selection("threshold", 0.6))[0].tolist() == [0, 1, 2, 3]


def test_threshold_without_positive_evidence_keeps_the_best_region():
    regions, _ = select_regions(np.array([-0.5, -0.1, -2.0]), Selection("threshold", 0.8))
    assert regions.tolist() == [1]


def test_masks():
    labels = np.array([[0, 0, 1], [2, 2, 1]])
    assert regions_mask(labels, np.array([1, 2])).tolist() == [
        [False, False, True],
        [True, True, True],
    ]
    heat = torch.tensor([[0.0, 0.5, 1.0], [0.79, 0.8, -1.0]])
    assert threshold_mask(heat, 0.8).tolist() == [[False, False, True], [False, True, False]]


def test_config_gives_both_families():
    top, thresholds = selections_from_config({"top_k": [2, 3, 4], "thresholds": [0.8, 0.7, 0.6]})
    assert [s.name for s in top] == ["top2", "top3", "top4"]
    assert [s.name for s in thresholds] == ["thr80", "thr70", "thr60"]
