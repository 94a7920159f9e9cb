"""The order in which methods and selections appear in every table and figure (paper order)."""

from __future__ import annotations

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
        return (2, 0.0)
    selection = Selection.parse(name)
    # top-k ascending, then thresholds from the strictest (80 %) down.
    return (0, selection.value) if selection.kind == "top_k" else (1, -selection.value)


def describe(method: str, selection: str) -> str:
    parsed = Selection.parse(selection)
    if parsed.kind == "top_k":
        detail = f"{int(parsed.value)} segments"
    else:
        detail = f"{round(parsed.value * 100)} % of max"
    return f"{method_spec(method).display_name} ({detail})"
