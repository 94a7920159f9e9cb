"""The order in which methods and selections appear in every table and figure (paper order)."""

from __future__ import annotations

from secam.methods import ORDER, method_spec
from secam.selection import Selection


def method_rank(method: str) -> int:
    return ORDER.index(method) if method in ORDER else len(ORDER)


def selection_rank(name: str) -> tuple[int, float]:
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
