"""Turning scores into explanations: the paper's hand-picked sizes (top-k regions, or
everything above a share of the max) and two sizes chosen without a hand-picked k (``gap``: cut
the ranking at the largest drop of its scores; ``sufficient:P``: the shortest prefix of the
ranking that, alone, keeps P of the class's probability)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from secam.errors import InputError

if TYPE_CHECKING:  # tables and figures parse selections without paying torch's import
    import torch


KINDS = ("top_k", "threshold", "gap", "sufficient")
_PREFIXES = {"top_k": "top", "threshold": "thr", "sufficient": "suff"}


@dataclass(frozen=True)
class Selection:
    """``kind`` "top_k" (value = k), "threshold" (value = share of the maximum score), "gap"
    (value unused, 0) or "sufficient" (value = share P of the class's probability).

    Names in tables: ``top3``, ``thr80``, ``gap``, ``suff90``."""

    kind: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"unknown selection kind {self.kind!r}; one of {', '.join(KINDS)}")

    @property
    def name(self) -> str:
        if self.kind == "gap":
            return "gap"
        if self.kind == "top_k":
            return f"top{int(self.value)}"
        return f"{_PREFIXES[self.kind]}{round(self.value * 100):d}"

    @property
    def needs_model(self) -> bool:
        """Whether choosing the regions runs the model (``sufficient``)."""
        return self.kind == "sufficient"

    @property
    def hand_picked(self) -> bool:
        """The paper's selections, whose size the user picks (top-k, threshold)."""
        return self.kind in ("top_k", "threshold")

    @classmethod
    def parse(cls, text: str | Selection) -> Selection:
        """The one reader of a selection written as text: the command line's and the API's
        ``top-k:3``, ``threshold:0.8``, ``gap``, ``sufficient:0.9``, or the table names
        ``top3``, ``thr80``, ``gap``, ``suff90``. A :class:`Selection` is returned as it is."""
        if isinstance(text, Selection):
            return text
        if text == "gap":
            return cls("gap", 0.0)
        written = re.fullmatch(r"top-k:(\d+)|(threshold|sufficient):([0-9.]+)", text)
        if written is not None:
            if written.group(1) is not None:
                if int(written.group(1)) < 1:
                    raise InputError(f"selection {text!r}: k must be at least 1")
                return cls("top_k", int(written.group(1)))
            share = float(written.group(3))
            if not 0 < share <= 1:
                raise InputError(f"selection {text!r}: the fraction must lie in (0, 1]")
            return cls(written.group(2), share)
        named = re.fullmatch(r"(top|thr|suff)(\d+)", text)
        if named is None:
            raise InputError(
                f"selection {text!r}: use top-k:K, threshold:F, gap or sufficient:P "
                "(or a table name: topK, thrPP, gap, suffPP)"
            )
        prefix, number = named.groups()
        if prefix == "top":
            return cls("top_k", int(number))
        return cls("threshold" if prefix == "thr" else "sufficient", int(number) / 100)


# The paper's figures show each method's three best regions. That selection is the one drawn
# wherever a single explanation per method is shown (the paper figures, the segmentation
# comparison's figure), and what `secam explain` and the Python explainers select when asked for
# no other; a heatmap, which has no regions, is cut at the paper's highest threshold instead.
SHOWN = Selection("top_k", 3)
SHOWN_HEATMAP = Selection("threshold", 0.8)


def selections_from_config(selection_config: dict) -> tuple[list[Selection], list[Selection]]:
    """(top-k selections, threshold selections), in config order."""
    top = [Selection("top_k", int(k)) for k in selection_config["top_k"]]
    thresholds = [Selection("threshold", float(f)) for f in selection_config["thresholds"]]
    return top, thresholds


def chosen_selections(selection_config: dict) -> list[Selection]:
    """The selections without a hand-picked size the config asks for: ``gap``, then each
    ``sufficient:P`` in config order."""
    chosen = [Selection("gap", 0.0)] if selection_config["gap"] else []
    chosen += [Selection("sufficient", float(p)) for p in selection_config["sufficient"]]
    names = [s.name for s in chosen]
    if len(set(names)) < len(names):
        raise InputError(f"selection.sufficient: shares that round to one name ({names})")
    return chosen


class PrefixProbe(Protocol):
    """What ``sufficient:P`` asks of the model (:class:`secam.faithfulness.InsertionProbe`)."""

    def shortest_sufficient(self, order: np.ndarray, share: float) -> int:
        """The smallest k whose first k regions of ``order``, alone, give the class at least
        ``share`` of its probability on the whole image."""
        ...


def rank_regions(scores: np.ndarray) -> np.ndarray:
    """Region ids by decreasing score; ties go to the lower id, so the order is deterministic."""
    scores = np.asarray(scores, dtype=np.float64)
    return np.lexsort((np.arange(scores.size), -scores))


def gap_size(scores: np.ndarray) -> int:
    """How many regions come before the largest drop of the scores sorted from the best (the
    first such drop when several are equal; all regions when there is only one)."""
    ranked = np.asarray(scores, dtype=np.float64)[rank_regions(scores)]
    if ranked.size < 2:
        return int(ranked.size)
    return int(np.argmax(ranked[:-1] - ranked[1:])) + 1


def select_regions(
    scores: np.ndarray, selection: Selection, probe: PrefixProbe | None = None
) -> tuple[np.ndarray, bool]:
    """Selected region ids, best first, and whether a top-k asked for more regions than exist.

    ``probe`` runs the model for ``sufficient:P`` (the other selections need none)."""
    order = rank_regions(scores)
    if selection.kind == "top_k":
        k = int(selection.value)
        return order[:k], k > order.size
    if selection.kind == "gap":
        return order[: gap_size(scores)], False
    if selection.kind == "sufficient":
        if probe is None:
            raise ValueError(f"{selection.name} runs the model on the kept regions: give a probe")
        return order[: probe.shortest_sufficient(order, selection.value)], False
    best = float(np.asarray(scores)[order[0]])
    if best <= 0:
        # No positive evidence: the single best region is the whole explanation.
        return order[:1], False
    keep = np.asarray(scores)[order] >= selection.value * best
    return order[keep], False


def regions_mask(labels: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Boolean mask of the pixels whose label is one of ``regions``."""
    lookup = np.zeros(int(labels.max()) + 1, dtype=bool)
    lookup[np.asarray(regions, dtype=np.int64)] = True
    return lookup[labels]


def threshold_mask(full_map: torch.Tensor, fraction: float) -> np.ndarray:
    """Pixels at or above ``fraction`` of the map's maximum (the maximum itself if it is <= 0)."""
    peak = full_map.max()
    if float(peak) <= 0:
        return (full_map >= peak).cpu().numpy()
    return (full_map >= fraction * peak).cpu().numpy()
