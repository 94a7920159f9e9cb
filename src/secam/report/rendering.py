"""The report's tables as a reader sees them: CSV at full precision, or Markdown and LaTeX
with each value and its interval in one cell, rounded, under readable headers."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


# The summary's Markdown shows one number per cell: its own header where HEADERS has an
# interval's.
SUMMARY_HEADERS = {"median_seconds": "median time (s)"}


def to_markdown(summary: pd.DataFrame) -> str:
    """The summary table (:func:`secam.report.tables.summarise`) in GitHub-flavoured Markdown:
    one rounded number per cell, the median time without its quartiles."""
    headers = {
        column: SUMMARY_HEADERS.get(column, HEADERS.get(column, column))
        for column in summary.columns
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
