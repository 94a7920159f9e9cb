"""Report: merge the shards, summarise, and draw the example grid."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from secam.artifacts import check_columns, empty_table, read_table, write_table, write_text
from secam.provenance import provenance
from secam.report.claims import claims_table
from secam.report.figures import ExampleCell, draw_examples
from secam.report.paper import (
    RunData,
    figure_misclassified,
    figure_one,
    figure_two,
    misclassified,
    table_one,
)
from secam.report.plots import draw_curves, draw_timing
from secam.report.tables import (
    faithfulness_summary,
    paired_differences,
    quantitative,
    render,
    summarise,
    timing_table,
    to_markdown,
)


def concat_tables(paths: Sequence[str | Path], table: str) -> pd.DataFrame:
    frames = [read_table(p, table) for p in paths]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_table(table)
    merged = pd.concat(frames, ignore_index=True)
    keys = [c for c in ("model", "method", "image_id", "selection") if c in merged.columns]
    return check_columns(merged.sort_values(keys, kind="stable").reset_index(drop=True), table)


def run_collect(
    metrics: Sequence[str],
    timings: Sequence[str],
    faithfulness: Sequence[str],
    out_metrics: str,
    out_timings: str,
    out_faithfulness: str,
) -> None:
    write_table(concat_tables(metrics, "metrics"), out_metrics, "metrics")
    write_table(concat_tables(timings, "timings"), out_timings, "timings")
    write_table(concat_tables(faithfulness, "faithfulness"), out_faithfulness, "faithfulness")


def run_summary(
    metrics_path: str, config: dict[str, Any], out_csv: str, out_md: str, out_info: str
) -> None:
    summary = summarise(read_table(metrics_path, "metrics"))
    write_text(out_csv, summary.to_csv(index=False, float_format="%.4f"))
    write_text(out_md, to_markdown(summary))
    write_text(out_info, json.dumps(provenance(config), indent=2, sort_keys=True) + "\n")


def run_quantitative(
    metrics_path: str,
    timings_path: str,
    faithfulness_path: str,
    manifest_path: str,
    predictions: Sequence[str],
    config: dict[str, Any],
    tables: dict[str, str],
    timing_figures: Sequence[str],
    curve_figures: Sequence[str],
) -> None:
    """Quantitative, paired and timing tables (CSV, Markdown, LaTeX) and the timing plot.

    ``tables`` maps ``<table>_<csv|md|tex>`` to output paths.
    """
    metrics = read_table(metrics_path, "metrics")
    timings = read_table(timings_path, "timings")
    curves = read_table(faithfulness_path, "faithfulness")
    options = config["report"]
    frames = {
        "quantitative": quantitative(metrics, options["bootstrap_resamples"], options["seed"]),
        "paired": paired_differences(
            metrics, "secam", options["bootstrap_resamples"], options["seed"]
        ),
        "timing": timing_table(timings),
        "faithfulness": faithfulness_summary(
            curves, options["bootstrap_resamples"], options["seed"]
        ),
    }
    head_paths = {
        row.model: row.head_path
        for path in predictions
        for row in read_table(path, "predictions").itertuples()
    }
    frames["claims"] = claims_table(
        metrics,
        timings,
        frames["paired"],
        read_table(manifest_path, "manifest"),
        head_paths,
        options["bootstrap_resamples"],
        options["seed"],
    )
    for key, path in tables.items():
        name, fmt = key.rsplit("_", 1)
        write_text(path, render(frames[name], fmt))
    draw_timing(timings, timing_figures)
    draw_curves(curves, curve_figures)


def run_paper_outputs(
    manifest_path: str,
    timings_path: str,
    artifacts: dict[str, Sequence[str]],
    config: dict[str, Any],
    table_one_paths: dict[str, str],
    figures: dict[int, Sequence[str]],
) -> None:
    """Table I and Figures 1-5 (see :mod:`secam.report.paper`)."""
    data = RunData(
        read_table(manifest_path, "manifest"),
        segments=artifacts["segments"],
        maps=artifacts["maps"],
        predictions_files=artifacts["predictions"],
        masks=artifacts["masks"],
    )
    timings = read_table(timings_path, "timings")
    for fmt, path in table_one_paths.items():
        write_text(path, render(table_one(timings), fmt))
    models = config["models"]
    figure_one(data, figures[1])
    lime_ids = sorted(set(timings.loc[timings["method"] == "lime", "image_id"]))
    figure_two(data, models, lime_ids, figures[2])
    wrong = misclassified(data, models[0])
    for number in (3, 4, 5):
        index = number - 3
        figure_misclassified(
            data, models[0], wrong[index] if index < len(wrong) else None, figures[number]
        )


def run_examples(
    manifest_path: str,
    explanations: Sequence[str],
    masks: Sequence[str],
    predictions: Sequence[str],
    config: dict[str, Any],
    out_png: str,
) -> None:
    manifest = read_table(manifest_path, "manifest")
    image_ids = sorted(manifest["image_id"])[: config["report"]["example_images"]]
    cells = ExampleCell.gather(manifest, image_ids, explanations, masks, predictions)
    draw_examples(cells, manifest.set_index("image_id"), out_png)
