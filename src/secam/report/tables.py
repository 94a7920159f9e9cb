"""Summary tables: one row per model x method x selection."""

from __future__ import annotations

import numpy as np
import pandas as pd

from secam.artifacts import TABLES, check_columns, empty_table
from secam.report.ordering import ordered
from secam.statistics import bootstrap_ci, wilcoxon_p


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean box IoU, mask IoU, EBPG and area, median time, and n per model x method x selection."""
    if metrics.empty:
        return empty_table("summary")
    grouped = metrics.groupby(["model", "method", "selection"], sort=False)
    summary = grouped.agg(
        n=("image_id", "nunique"),
        box_iou=("box_iou", "mean"),
        mask_iou=("mask_iou", "mean"),
        ebpg=("ebpg", lambda v: float(np.nanmean(v)) if np.isfinite(v).any() else np.nan),
        area=("area", "mean"),
        median_seconds=("seconds", "median"),
    ).reset_index()
    return check_columns(ordered(summary, "method", "selection"), "summary")


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


METRICS = ("box_iou", "mask_iou", "ebpg", "energy_ebpg", "pointing_hit")
BASELINE_ORDER = ("lime", "lime-batched", "cam", "gradcam", "gradcampp", "layercam", "scorecam")


def quantitative(metrics: pd.DataFrame, resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Means with 95 % bootstrap intervals per model x method x selection."""
    rows = []
    for (model, method, selection), group in metrics.groupby(["model", "method", "selection"]):
        row: dict[str, object] = {
            "model": model,
            "method": method,
            "selection": selection,
            "n": int(group["image_id"].nunique()),
        }
        for metric in METRICS:
            interval = bootstrap_ci(group[metric].to_numpy(), resamples=resamples, seed=seed)
            row.update(
                {
                    metric: interval.mean,
                    f"{metric}_low": interval.low,
                    f"{metric}_high": interval.high,
                }
            )
        row["area"] = float(group["area"].mean())
        # degenerate segmentations (a few regions on highly textured images) cap top-k
        row["truncated"] = int(group.loc[group["truncated"].astype(bool), "image_id"].nunique())
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(TABLES["quantitative"]))
    return check_columns(ordered(frame, "method", "selection"), "quantitative")


def paired_differences(
    metrics: pd.DataFrame, method: str = "secam", resamples: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """``method`` minus each other method, image by image, at each selection both have."""
    rows = []
    for model, per_model in metrics.groupby("model"):
        ours = per_model[per_model["method"] == method]
        for baseline, theirs in per_model[per_model["method"] != method].groupby("method"):
            for selection in sorted(set(ours["selection"]) & set(theirs["selection"])):
                a = ours[ours["selection"] == selection].set_index("image_id")
                b = theirs[theirs["selection"] == selection].set_index("image_id")
                shared = a.index.intersection(b.index)
                for metric in METRICS:
                    diff = (a.loc[shared, metric] - b.loc[shared, metric]).to_numpy(float)
                    interval = bootstrap_ci(diff, resamples=resamples, seed=seed)
                    rows.append(
                        {
                            "model": model,
                            "selection": selection,
                            "baseline": baseline,
                            "metric": metric,
                            "n": interval.n,
                            "difference": interval.mean,
                            "difference_low": interval.low,
                            "difference_high": interval.high,
                            "wilcoxon_p": wilcoxon_p(diff),
                        }
                    )
    frame = pd.DataFrame(rows, columns=list(TABLES["paired"]))
    return check_columns(ordered(frame, "baseline", "selection", "metric"), "paired")


def faithfulness_summary(
    curves: pd.DataFrame, resamples: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Mean deletion and insertion AUCs with 95 % bootstrap intervals per model x method."""
    rows = []
    for (model, method), group in curves.groupby(["model", "method"]):
        row: dict[str, object] = {"model": model, "method": method, "n": len(group)}
        for metric in ("deletion_auc", "insertion_auc"):
            interval = bootstrap_ci(group[metric].to_numpy(), resamples=resamples, seed=seed)
            row.update(
                {
                    metric: interval.mean,
                    f"{metric}_low": interval.low,
                    f"{metric}_high": interval.high,
                }
            )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(TABLES["faithfulness_summary"]))
    return check_columns(ordered(frame, "method"), "faithfulness_summary")


def timing_table(timings: pd.DataFrame) -> pd.DataFrame:
    """Median and quartiles of the time per explanation, per model x method x device."""
    rows = []
    for (model, method, device), group in timings.groupby(["model", "method", "device"]):
        seconds = group["total_seconds"].to_numpy(float)
        q1, median, q3 = np.percentile(seconds, [25, 50, 75])
        rows.append(
            {
                "model": model,
                "method": method,
                "device": device,
                "n": len(seconds),
                "median_seconds": median,
                "q1_seconds": q1,
                "q3_seconds": q3,
            }
        )
    frame = pd.DataFrame(rows, columns=list(TABLES["timing"]))
    return check_columns(ordered(frame, "method", "device"), "timing")


def render(frame: pd.DataFrame, fmt: str, note: str | None = None) -> str:
    """CSV (full precision), Markdown or LaTeX (rounded) text of a table; ``note`` (why a
    table is empty) follows the Markdown and LaTeX tables (a CSV keeps just its header)."""
    if fmt == "csv":
        return frame.to_csv(index=False, float_format="%.6g")
    text = _render_rounded(frame, fmt)
    if note is None:
        return text
    return text + (f"\n{note}\n" if fmt == "md" else f"% {note}\n")


def _render_rounded(frame: pd.DataFrame, fmt: str) -> str:
    rounded = frame.copy()
    for column in rounded.columns:
        if rounded[column].dtype.kind != "f":
            continue
        precise = "seconds" in column or column == "wilcoxon_p"
        rounded[column] = rounded[column].map(
            lambda v, precise=precise: (
                "n/a" if pd.isna(v) else f"{v:.4g}" if precise else f"{v:.3f}"
            )
        )
    if fmt == "md":
        return rounded.to_markdown(index=False) + "\n"
    if fmt == "tex":
        return rounded.to_latex(index=False, escape=True)
    raise ValueError(f"unknown table format {fmt!r}")
