"""Plots of the comparison: time per explanation (log scale) and faithfulness curves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from secam.artifacts import atomic_path
from secam.methods import method_spec
from secam.report.ordering import method_rank
from secam.report.overlay import DPI, FONT_SIZE, PAGE_WIDTH

# Curves told apart without colour: identical curves (CAM, Grad-CAM and SeCAM on a GAP head)
# are drawn on top of one another, so each also gets its own dash pattern and marker.
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 2)))
MARKERS = ("o", "s", "^", "D", "v", "x", "+", "*")


def draw_timing(timings: pd.DataFrame, outputs: Sequence[str | Path]) -> None:
    """One point per explanation, a box per method and model; log-scaled seconds."""
    frame = timings.copy()
    frame["method"] = [method_spec(m).display_name for m in frame["method"]]
    order = sorted(
        frame["method"].unique(),
        key=lambda name: method_rank(
            next(m for m in timings["method"] if method_spec(m).display_name == name)
        ),
    )
    frame["model · device"] = frame["model"] + " · " + frame["device"]
    figure, axis = plt.subplots(
        figsize=(min(PAGE_WIDTH, 0.8 * max(len(order), 3) + 1.2), 3), layout="constrained"
    )
    if not frame.empty:
        common = {
            "data": frame,
            "x": "method",
            "y": "total_seconds",
            "hue": "model · device",
            "order": order,
            "ax": axis,
        }
        sns.boxplot(**common, fliersize=0, linewidth=0.8)
        sns.stripplot(**common, dodge=True, size=3, palette="dark:0.2", legend=False)
    axis.set_yscale("log")
    axis.set_xlabel("")
    axis.set_ylabel("seconds per explanation (log scale)", fontsize=FONT_SIZE + 1)
    axis.tick_params(labelsize=FONT_SIZE)
    axis.tick_params(axis="x", labelrotation=30)
    axis.grid(axis="y", which="both", alpha=0.3)
    _one_entry_legend_as_title(axis)
    _save(figure, outputs)


def _one_entry_legend_as_title(axis: plt.Axes) -> None:
    """A legend of one entry says nothing a title cannot: it becomes the title."""
    legend = axis.get_legend()
    if legend is None:
        return
    texts = [t.get_text() for t in legend.get_texts()]
    if len(texts) == 1:
        legend.remove()
        axis.set_title(texts[0], fontsize=FONT_SIZE + 1)
    else:
        legend.set_title(legend.get_title().get_text(), prop={"size": FONT_SIZE})
        for text in legend.get_texts():
            text.set_fontsize(FONT_SIZE)


def _save(figure: plt.Figure, outputs: Sequence[str | Path]) -> None:
    for out in outputs:
        with atomic_path(out) as target:
            figure.savefig(target, dpi=DPI)
    plt.close(figure)


def draw_curves(curves: pd.DataFrame, outputs: Sequence[str | Path]) -> None:
    """Mean deletion and insertion curves per model and method; each curve its own line style
    and marker, and a curve identical to one drawn before says so in the legend."""
    figure, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3), sharey=True, layout="constrained")
    groups = sorted(
        curves.groupby(["model", "method"]), key=lambda item: (item[0][0], method_rank(item[0][1]))
    )
    drawn: list[tuple[str, list[np.ndarray]]] = []  # (label, its mean curves), in order
    for (model, method), group in groups:
        steps = group["fractions"].iloc[0]
        if not all(len(f) == len(steps) for f in group["fractions"]):
            continue
        means = [
            np.stack([np.asarray(v) for v in group[column]]).mean(axis=0)
            for column in ("deletion", "insertion")
        ]
        label = f"{method_spec(method).display_name} ({model}, n={len(group)})"
        same = [
            earlier
            for earlier, theirs in drawn
            if all(np.allclose(a, b) for a, b in zip(means, theirs, strict=True))
        ]
        shown = f"{label}, identical to {same[0].split(' (')[0]}" if same else label
        for axis, values in zip(axes, means, strict=True):
            axis.plot(
                steps,
                values,
                linestyle=LINE_STYLES[len(drawn) % len(LINE_STYLES)],
                marker=MARKERS[len(drawn) % len(MARKERS)],
                markersize=3.5,
                markerfacecolor="none",
                linewidth=1.2,
                label=shown,
            )
        drawn.append((label, means))
    for axis, title in zip(
        axes, ("deletion (lower is better)", "insertion (higher is better)"), strict=True
    ):
        axis.set_title(title, fontsize=FONT_SIZE + 1)
        axis.set_xlabel("share of superpixels blurred / restored, best first", fontsize=FONT_SIZE)
        axis.tick_params(labelsize=FONT_SIZE)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("probability of the explained class", fontsize=FONT_SIZE)
    if len(drawn) > 1:
        axes[1].legend(fontsize=FONT_SIZE)
    elif drawn:
        figure.suptitle(drawn[0][0], fontsize=FONT_SIZE + 1)
    _save(figure, outputs)
