"""Summary tables: one row per model x method x selection."""

from __future__ import annotations

import numpy as np
import pandas as pd

from secam.artifacts import TABLES, check_columns, empty_table
from secam.baselines import FULL_IMAGE_SELECTION
from secam.methods import method_spec
from secam.report.ordering import ordered
from secam.selection import Selection
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


def selection_faithfulness(
    curves: pd.DataFrame, resamples: int = 2000, seed: int = 0
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
    predictions: pd.DataFrame, manifest: pd.DataFrame, resamples: int = 2000, seed: int = 0
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


# A value shown with its interval in one cell of the Markdown and LaTeX tables: value column ->
# (lower, upper) columns. Besides these, every ``<v>`` with ``<v>_low`` and ``<v>_high`` does.
INTERVAL_COLUMNS = {
    "fixed_difference": ("fixed_low", "fixed_high"),
    "median_seconds": ("q1_seconds", "q3_seconds"),  # the quartiles, not a CI
    "end_to_end_median_seconds": ("end_to_end_q1_seconds", "end_to_end_q3_seconds"),
    "k_median": ("k_q1", "k_q3"),  # the quartiles of the chosen sizes
}
# Headers of the Markdown and LaTeX tables; other columns show their name, "_" as a space.
HEADERS = {
    "box_iou": "IoU (box)",
    "mask_iou": "IoU (mask)",
    "ebpg": "EBPG",
    "energy_ebpg": "energy EBPG",
    "pointing_hit": "pointing",
    "fixed_difference": "difference (paper's selection)",
    "difference": "difference (matched area)",
    "wilcoxon_p": "p (Wilcoxon)",
    "median_seconds": "median s [IQR]",
    "segmentation_median_seconds": "segmentation s",
    "end_to_end_median_seconds": "end to end s [IQR]",
    "lime_seconds": "LIME s",
    "cam_seconds": "CAM s",
    "secam_seconds": "SeCAM s",
    "segmentation_seconds": "segmentation s",
    "lime_total_seconds": "LIME total s",
    "secam_total_seconds": "SeCAM total s",
    "lime_over_cam": "LIME / CAM",
    "lime_over_secam": "LIME / SeCAM",
    "comparator_area": "their area",
    "deletion_auc": "deletion AUC",
    "insertion_auc": "insertion AUC",
    "k_mean": "k mean",
    "k_median": "k median [quartiles]",
    "all_regions": "all regions",
    "fixed": "best top-k",
    "fixed_lift": "its lift",
}
# The columns a LaTeX table shows as wrapped paragraphs of this width, not one long line.
PARAGRAPH_WIDTH = {"claim": "2.2in", "summary": "3.0in", "evidence": "3.0in"}


def render(frame: pd.DataFrame, fmt: str, note: str | None = None) -> str:
    """CSV (full precision, one column per number), or Markdown or LaTeX of :func:`compact`;
    ``note`` (why a table is empty) follows the Markdown and LaTeX tables (a CSV keeps just its
    header)."""
    if fmt == "csv":
        return frame.to_csv(index=False, float_format="%.6g")
    shown = compact(frame)
    if fmt == "md":
        text = shown.to_markdown(index=False) + "\n"
    elif fmt == "tex":
        text = _latex(shown)
    else:
        raise ValueError(f"unknown table format {fmt!r}")
    if note is None:
        return text
    return text + (f"\n{note}\n" if fmt == "md" else f"% {note}\n")


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as a paper shows it: each value and its interval in one cell
    ("0.41 [0.24, 0.60]"), numbers rounded, readable headers."""
    intervals = {
        column: INTERVAL_COLUMNS.get(column, (f"{column}_low", f"{column}_high"))
        for column in frame.columns
    }
    intervals = {
        column: bounds
        for column, bounds in intervals.items()
        if all(bound in frame.columns for bound in bounds)
    }
    bounds = {bound for pair in intervals.values() for bound in pair}
    cells = {}
    for column in frame.columns:
        if column in bounds:
            continue
        values = frame[column]
        if column in intervals:
            low, high = (frame[bound] for bound in intervals[column])
            cells[column] = [
                _with_interval(v, lo, hi, column)
                for v, lo, hi in zip(values, low, high, strict=True)
            ]
        elif values.dtype.kind == "f":
            cells[column] = [_number(v, column) for v in values]
        else:
            cells[column] = values.astype(str).tolist()
    shown = pd.DataFrame(cells, columns=list(cells))
    return shown.rename(columns=lambda c: HEADERS.get(c, c.replace("_", " ")))


def _number(value: float, column: str) -> str:
    if pd.isna(value):
        return "n/a"
    if "seconds" in column:
        return f"{value:.3g}"
    if column == "wilcoxon_p":
        return f"{value:.2g}"
    if column.startswith("lime_over") or abs(value) >= 100:
        return f"{value:.0f}"
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _with_interval(value: float, low: float, high: float, column: str) -> str:
    if pd.isna(value):
        return "n/a"
    return f"{_number(value, column)} [{_number(low, column)}, {_number(high, column)}]"


def _latex(shown: pd.DataFrame) -> str:
    """A booktabs tabular; the model, when a column, heads its group of rows instead."""
    # only when each model's rows are together (the claims table lists claim by claim)
    grouped = (
        "model" in shown.columns
        and not shown.empty
        and (shown["model"] != shown["model"].shift()).sum() == shown["model"].nunique()
    )
    columns = [c for c in shown.columns if not (grouped and c == "model")]
    spec = "".join(
        f"p{{{PARAGRAPH_WIDTH[c]}}}"
        if c in PARAGRAPH_WIDTH
        else "r"
        if shown[c].map(_looks_numeric).all() and not shown.empty
        else "l"
        for c in columns
    )
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(_tex_escape(c) for c in columns) + r" \\",
        "\\midrule",
    ]
    model = None
    for row in shown.itertuples(index=False):
        values = dict(zip(shown.columns, row, strict=True))
        if grouped and values["model"] != model:
            model = values["model"]
            lines.append(
                f"\\multicolumn{{{len(columns)}}}{{l}}{{\\textit{{{_tex_escape(model)}}}}} \\\\"
            )
        lines.append(" & ".join(_tex_escape(str(values[c])) for c in columns) + r" \\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def _looks_numeric(cell: str) -> bool:
    head = str(cell).split(" ")[0]
    try:
        float(head)
    except ValueError:
        return head == "n/a"
    return True


TEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}


def _tex_escape(text: str) -> str:
    return "".join(TEX_SPECIAL.get(char, char) for char in text)
