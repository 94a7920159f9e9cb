import numpy as np
import pytest
import torch

from secam.selection import (
    Selection,
    chosen_selections,
    gap_size,
    rank_regions,
    regions_mask,
    select_regions,
    selections_from_config,
    threshold_mask,
)


def test_names_round_trip():
    for name in ["top2", "top4", "thr80", "thr60", "gap", "suff90", "suff75"]:
        assert Selection.parse(name).name == name
    assert Selection.parse("suff90") == Selection("sufficient", 0.9)
    for name in ("best3", "gap2", "suff"):
        with pytest.raises(ValueError):
            Selection.parse(name)
    with pytest.raises(ValueError, match="unknown selection kind"):
        Selection("bottom_k", 2)


def test_gap_cuts_at_the_largest_drop_of_the_sorted_scores():
    # sorted: 0.9 0.8 | 0.3 0.25 0.2 -> the largest drop (0.5) follows the second region
    scores = np.array([0.25, 0.9, 0.3, 0.8, 0.2])
    assert gap_size(scores) == 2
    regions, truncated = select_regions(scores, Selection("gap", 0))
    assert regions.tolist() == [1, 3] and not truncated
    # equal drops: the first one, so the smallest explanation; negative scores work alike
    assert gap_size(np.array([3.0, 2.0, 1.0, 0.0])) == 1
    assert gap_size(np.array([-0.1, -0.2, -1.5, -1.6])) == 2
    # one region is all there is; a single outlier at the bottom keeps all the others
    assert gap_size(np.array([0.4])) == 1
    assert gap_size(np.array([0.5, 0.45, 0.4, -3.0])) == 3


class _Prefixes:
    """A probe whose class probability reaches the goal at a known prefix length."""

    def __init__(self, enough: int) -> None:
        self.enough, self.asked = enough, []

    def shortest_sufficient(self, order: np.ndarray, share: float) -> int:
        self.asked.append((order.tolist(), share))
        return self.enough


def test_sufficient_keeps_the_prefix_the_probe_finds_and_needs_a_probe():
    scores = np.array([0.1, 0.7, 0.4, 0.9])
    probe = _Prefixes(enough=3)
    regions, truncated = select_regions(scores, Selection("sufficient", 0.9), probe)
    assert regions.tolist() == [3, 1, 2] and not truncated
    assert probe.asked == [([3, 1, 2, 0], 0.9)]  # the ranking, best first, and the share
    with pytest.raises(ValueError, match="give a probe"):
        select_regions(scores, Selection("sufficient", 0.9))


def test_config_asks_for_gap_and_each_sufficient_share():
    config = {"top_k": [3], "thresholds": [0.8], "gap": True, "sufficient": [0.9, 0.5]}
    assert [s.name for s in chosen_selections(config)] == ["gap", "suff90", "suff50"]
    assert chosen_selections({**config, "gap": False, "sufficient": []}) == []
    with pytest.raises(ValueError, match="round to one name"):
        chosen_selections({**config, "sufficient": [0.9, 0.901]})
    assert [s.hand_picked for s in chosen_selections(config)] == [False] * 3
    assert [s.needs_model for s in chosen_selections(config)] == [False, True, True]


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
