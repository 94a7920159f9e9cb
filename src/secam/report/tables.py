"""Summary tables: one row per model x method x selection."""

from __future__ import annotations

import numpy as np
import pandas as pd

from secam.artifacts import TABLES, check_columns
from secam.report.ordering import method_rank, selection_rank


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean box IoU, mask IoU, EBPG and area, median time, and n per model x method x selection."""
    if metrics.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES["summary"]})
    grouped = metrics.groupby(["model", "method", "selection"], sort=False)
    summary = grouped.agg(
        n=("image_id", "nunique"),
        box_iou=("box_iou", "mean"),
        mask_iou=("mask_iou", "mean"),
        ebpg=("ebpg", lambda v: float(np.nanmean(v)) if np.isfinite(v).any() else np.nan),
        area=("area", "mean"),
        median_seconds=("seconds", "median"),
    ).reset_index()
    order = summary.apply(
        lambda r: (r["model"], method_rank(r["method"]), selection_rank(r["selection"])), axis=1
    )
    summary = summary.iloc[sorted(range(len(summary)), key=lambda i: order.iloc[i])]
    return check_columns(summary.reset_index(drop=True), "summary")


def to_markdown(summary: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table with readable headers and rounded numbers."""
    headers = {
        "model": "model",
        "method": "method",
        "selection": "selection",
        "n": "n",
        "box_iou": "IoU (box)",
        "mask_iou": "IoU (mask)",
        "ebpg": "EBPG",
        "area": "area",
        "median_seconds": "median time (s)",
    }
    lines = [
        "| " + " | ".join(headers.values()) + " |",
        "|"
        + "|".join("---" if k in {"model", "method", "selection"} else "---:" for k in headers)
        + "|",
    ]
    for row in summary.itertuples(index=False):
        cells = []
        for key in headers:
            value = getattr(row, key)
            if key == "median_seconds":
                cells.append(f"{value:.4f}")
            elif isinstance(value, float):
                cells.append("n/a" if np.isnan(value) else f"{value:.3f}")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
