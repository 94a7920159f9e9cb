"""The order in which methods and selections appear in every table and figure (paper order)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from secam.baselines import BASELINES, FULL_IMAGE_SELECTION
from secam.methods import ORDER, method_spec
from secam.selection import Selection


def method_rank(method: str) -> int:
    """Methods in paper order, then the sanity baselines; ``centre-box@<method>`` (the centred
    box at that method's explanation area) ranks with its method among the centre boxes."""
    if method in ORDER:
        return ORDER.index(method)
    baseline, _, matched = method.partition("@")
    if baseline not in BASELINES:
        return len(ORDER)
    stride = len(ORDER) + 1
    return stride * (1 + BASELINES.index(baseline)) + (method_rank(matched) if matched else 0)


def selection_rank(name: str) -> tuple[int, float]:
    if name == FULL_IMAGE_SELECTION:
        return (4, 0.0)
    selection = Selection.parse(name)
    # top-k ascending, thresholds from the strictest (80 %) down, then the sizes chosen without
    # a hand-picked k: gap, and sufficient from the largest share down.
    if selection.kind == "top_k":
        return (0, selection.value)
    return ({"threshold": 1, "gap": 2, "sufficient": 3}[selection.kind], -selection.value)


# Columns ranked in paper order wherever they appear; any other column sorts by its value.
RANKS: dict[str, Callable[[Any], Any]] = {
    "method": method_rank,
    "baseline": method_rank,
    "comparator": method_rank,
    "selection": selection_rank,
}


def ordered(
    frame: pd.DataFrame, *columns: str, ranks: Mapping[str, Callable[[Any], Any]] | None = None
) -> pd.DataFrame:
    """The rows sorted by model, then by each of ``columns`` in turn: methods, baselines and
    comparators in paper order, selections top-k first, other columns by value unless ``ranks``
    gives their order. The index is reset."""
    rank_of = {**RANKS, **(ranks or {})}
    if frame.empty:
        return frame.reset_index(drop=True)
    keys = [
        tuple(rank_of.get(column, _as_is)(row[column]) for column in ("model", *columns))
        for _, row in frame.iterrows()
    ]
    order = sorted(range(len(frame)), key=keys.__getitem__)
    return frame.iloc[order].reset_index(drop=True)


def _as_is(value: Any) -> Any:
    return value


def describe(method: str, selection: str) -> str:
    parsed = Selection.parse(selection)
    if parsed.kind == "top_k":
        detail = f"{int(parsed.value)} segments"
    elif parsed.kind == "threshold":
        detail = f"{round(parsed.value * 100)} % of max"
    elif parsed.kind == "gap":
        detail = "cut at the largest score gap"
    else:
        detail = f"fewest segments keeping {round(parsed.value * 100)} % of the probability"
    return f"{method_spec(method).display_name} ({detail})"
