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
    figure, axis = plt.subplots(figsize=(1.2 * max(len(order), 3) + 2, 4))
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
        sns.stripplot(**common, dodge=True, size=3, color="0.2", legend=False)
    axis.set_yscale("log")
    axis.set_xlabel("")
    axis.set_ylabel("seconds per explanation (log scale)")
    axis.grid(axis="y", which="both", alpha=0.3)
    figure.tight_layout()
    for out in outputs:
        with atomic_path(out) as target:
            figure.savefig(target, dpi=120)
    plt.close(figure)


def draw_curves(curves: pd.DataFrame, outputs: Sequence[str | Path]) -> None:
    """Mean deletion and insertion curves per model and method."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for (model, method), group in sorted(
        curves.groupby(["model", "method"]), key=lambda item: (item[0][0], method_rank(item[0][1]))
    ):
        label = f"{method_spec(method).display_name} ({model}, n={len(group)})"
        for axis, column in zip(axes, ("deletion", "insertion"), strict=True):
            steps = group["fractions"].iloc[0]
            if all(len(f) == len(steps) for f in group["fractions"]):
                values = np.stack([np.asarray(v) for v in group[column]]).mean(axis=0)
                axis.plot(steps, values, marker="o", markersize=3, label=label)
    for axis, title in zip(
        axes, ("deletion (lower is better)", "insertion (higher is better)"), strict=True
    ):
        axis.set_title(title, fontsize=9)
        axis.set_xlabel("share of superpixels blurred / restored, best first")
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("probability of the explained class")
    if len(curves):
        axes[1].legend(fontsize=7)
    figure.tight_layout()
    for out in outputs:
        with atomic_path(out) as target:
            figure.savefig(target, dpi=120)
    plt.close(figure)
