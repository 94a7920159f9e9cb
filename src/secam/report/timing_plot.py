"""Time per explanation on a log scale: the orders of magnitude between methods at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
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
        sns.boxplot(
            data=frame,
            x="method",
            y="total_seconds",
            hue="model · device",
            order=order,
            ax=axis,
            fliersize=0,
            linewidth=0.8,
        )
        sns.stripplot(
            data=frame,
            x="method",
            y="total_seconds",
            hue="model · device",
            order=order,
            ax=axis,
            dodge=True,
            size=3,
            color="0.2",
            legend=False,
        )
    axis.set_yscale("log")
    axis.set_xlabel("")
    axis.set_ylabel("seconds per explanation (log scale)")
    axis.grid(axis="y", which="both", alpha=0.3)
    figure.tight_layout()
    for out in outputs:
        with atomic_path(out) as target:
            figure.savefig(target, dpi=120)
    plt.close(figure)
