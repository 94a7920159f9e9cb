"""The report's tables, computed: one row per model x method x selection (or per model x
method, per model); :mod:`secam.report.rendering` writes them as Markdown and LaTeX."""

from __future__ import annotations

import numpy as np
import pandas as pd

from secam.baselines import FULL_IMAGE_SELECTION
from secam.methods import method_spec
from secam.metrics import METRIC_NAMES
from secam.report.ordering import ordered
from secam.selection import Selection
from secam.statistics import RESAMPLES, SEED, bootstrap_ci, wilcoxon_p
from secam.table_columns import TABLES, check_columns, empty_table


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


def quantitative(
    metrics: pd.DataFrame, resamples: int = RESAMPLES, seed: int = SEED
) -> pd.DataFrame:
    """Means with 95 % bootstrap intervals per model x method x selection."""
    rows = []
    for (model, method, selection), group in metrics.groupby(["model", "method", "selection"]):
        row: dict[str, object] = {
            "model": model,
            "method": method,
            "selection": selection,
            "n": int(group["image_id"].nunique()),
        }
        for metric in METRIC_NAMES:
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


def hand_picked(selections: pd.Series) -> pd.Series:
    """Which rows hold one of the paper's selections (top-k, threshold, or the full image)."""
    # bool even when empty: mapping no strings keeps the string dtype
    return selections.map(
        lambda name: name == FULL_IMAGE_SELECTION or Selection.parse(name).hand_picked
    ).astype(bool)


def chosen_sizes(metrics: pd.DataFrame) -> pd.DataFrame:
    """How many superpixels each size chosen without a hand-picked k (gap, sufficient:P) took,
    per model x method x selection: quartiles, extremes, how often it took them all, area.
    ``metrics``: the methods' rows and the baselines' (random regions choose too)."""
    chosen = metrics[~hand_picked(metrics["selection"])]
    rows = []
    for (model, method, selection), group in chosen.groupby(["model", "method", "selection"]):
        k = group["n_selected"].to_numpy(float)
        q1, median, q3 = np.percentile(k, [25, 50, 75])
        rows.append(
            {
                "model": model,
                "method": method,
                "selection": selection,
                "n": int(group["image_id"].nunique()),
                "k_mean": float(k.mean()),
                "k_q1": float(q1),
                "k_median": float(median),
                "k_q3": float(q3),
                "k_min": int(k.min()),
                "k_max": int(k.max()),
                "all_regions": float((group["n_selected"] == group["n_regions"]).mean()),
                "area": float(group["area"].mean()),
            }
        )
    frame = pd.DataFrame(rows, columns=list(TABLES["chosen_sizes"]))
    return check_columns(ordered(frame, "method", "selection"), "chosen_sizes")


def paired_differences(
    metrics: pd.DataFrame, method: str = "secam", resamples: int = RESAMPLES, seed: int = SEED
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
                for metric in METRIC_NAMES:
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
    curves: pd.DataFrame, resamples: int = RESAMPLES, seed: int = SEED
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


def selection_faithfulness(
    curves: pd.DataFrame, resamples: int = RESAMPLES, seed: int = SEED
) -> pd.DataFrame:
    """What each selection's explanation alone keeps of the class's probability (the rest
    blurred), per model x method x selection: mean with its 95 % bootstrap CI, and median."""
    per_selection = curves[["model", "method", "image_id", "selections", "kept"]].explode(
        ["selections", "kept"]
    )
    per_selection = per_selection.dropna(subset=["selections"])
    rows = []
    for (model, method, selection), group in per_selection.groupby(
        ["model", "method", "selections"]
    ):
        kept = group["kept"].to_numpy(float)
        interval = bootstrap_ci(kept, resamples=resamples, seed=seed)
        rows.append(
            {
                "model": model,
                "method": method,
                "selection": selection,
                "n": interval.n,
                "kept": interval.mean,
                "kept_low": interval.low,
                "kept_high": interval.high,
                "kept_median": float(np.median(kept)),
            }
        )
    frame = pd.DataFrame(rows, columns=list(TABLES["selection_faithfulness"]))
    return check_columns(ordered(frame, "method", "selection"), "selection_faithfulness")


def accuracy_table(
    predictions: pd.DataFrame, manifest: pd.DataFrame, resamples: int = RESAMPLES, seed: int = SEED
) -> pd.DataFrame:
    """Top-1 accuracy per model on the staged images, with its 95 % bootstrap CI."""
    labels = manifest.set_index("image_id")["class_index"]
    rows = []
    for model, group in predictions.groupby("model"):
        correct = group["predicted_index"].to_numpy() == labels.loc[group["image_id"]].to_numpy()
        interval = bootstrap_ci(correct.astype(float), resamples=resamples, seed=seed)
        rows.append(
            {
                "model": model,
                "n": len(group),
                "top1": interval.mean,
                "top1_low": interval.low,
                "top1_high": interval.high,
            }
        )
    return check_columns(pd.DataFrame(rows, columns=list(TABLES["accuracy"])), "accuracy")


def charged_segmentation_seconds(timings: pd.DataFrame) -> pd.Series:
    """Per timings row, the segmentation its method cannot do without: the image's shared
    segmentation time for SeCAM and LIME, 0 for pixel methods such as CAM."""
    segmented = timings["method"].map(lambda method: method_spec(method).segmented)
    return timings["segmentation_seconds"].where(segmented.astype(bool), 0.0)


def end_to_end_seconds(timings: pd.DataFrame) -> pd.Series:
    """Per timings row, the explanation's whole cost: ``total_seconds`` (the map or LIME's
    sampling and fit, and the selection) plus the segmentation it needs."""
    return timings["total_seconds"] + charged_segmentation_seconds(timings)


def timing_table(timings: pd.DataFrame) -> pd.DataFrame:
    """Median and quartiles of the time per explanation, per model x method x device: without
    the segmentation, the segmentation the method needs, and end to end."""
    timings = timings.assign(
        charged=charged_segmentation_seconds(timings), whole=end_to_end_seconds(timings)
    )
    rows = []
    for (model, method, device), group in timings.groupby(["model", "method", "device"]):
        seconds = group["total_seconds"].to_numpy(float)
        q1, median, q3 = np.percentile(seconds, [25, 50, 75])
        whole_q1, whole_median, whole_q3 = np.percentile(group["whole"], [25, 50, 75])
        rows.append(
            {
                "model": model,
                "method": method,
                "device": device,
                "n": len(seconds),
                "median_seconds": median,
                "q1_seconds": q1,
                "q3_seconds": q3,
                "segmentation_median_seconds": float(np.median(group["charged"])),
                "end_to_end_median_seconds": whole_median,
                "end_to_end_q1_seconds": whole_q1,
                "end_to_end_q3_seconds": whole_q3,
            }
        )
    frame = pd.DataFrame(rows, columns=list(TABLES["timing"]))
    return check_columns(ordered(frame, "method", "device"), "timing")
