"""Report: merge the shards, summarise, and draw the example grid."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from secam.artifacts import (
    check_columns,
    empty_table,
    read_arrays,
    read_table,
    write_table,
    write_text,
)
from secam.pipeline.completeness import check_complete, expected_explanations
from secam.provenance import provenance
from secam.report import segmentation as segmentation_report
from secam.report.claims import claims_table
from secam.report.figures import ExampleCell, draw_examples
from secam.report.matched import baseline_metrics, matched_area
from secam.report.paper import (
    RunData,
    explanation_grid,
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
    return _concat_with_sources(paths, table)[0]


def _concat_with_sources(paths: Sequence[str | Path], table: str) -> tuple[pd.DataFrame, pd.Series]:
    """The shards merged and sorted, and the file each row came from."""
    frames = [read_table(p, table).assign(_source=str(p)) for p in paths]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_table(table), pd.Series([], dtype=object)
    merged = pd.concat(frames, ignore_index=True)
    keys = [
        c for c in ("model", "method", "image_id", "selection", "comparator") if c in merged.columns
    ]
    merged = merged.sort_values(keys, kind="stable").reset_index(drop=True)
    return check_columns(merged.drop(columns="_source"), table), merged["_source"]


# what each collected artifact is, by its name in the collect rule
COLLECTED = {
    "metrics": "metrics",
    "timings": "timings",
    "faithfulness": "faithfulness",
    "baselines": "metrics",
    "matched": "matched",
}


def run_collect(
    files: dict[str, tuple[Sequence[str], str]],
    manifest_path: str | Path,
    prediction_paths: Sequence[str | Path],
    models: Sequence[str],
    methods: Sequence[str],
    lime: dict[str, Any],
) -> None:
    """Merge the per-shard tables: ``files`` maps a name of :data:`COLLECTED` to (shard files,
    merged output). Nothing is written unless every table holds exactly the explanations the
    manifest calls for (:mod:`secam.pipeline.completeness`); ``lime`` gives LIME's subset
    (``max_images``, ``seed``)."""
    merged, sources = {}, {}
    for name, (paths, _) in files.items():
        merged[name], sources[name] = _concat_with_sources(paths, COLLECTED[name])
    expected = expected_explanations(
        read_table(manifest_path, "manifest"),
        concat_tables(prediction_paths, "predictions"),
        models,
        methods,
        lime.get("max_images"),
        lime["seed"],
    )
    check_complete(merged, sources, expected)
    for name, (_, out) in files.items():
        write_table(merged[name], out, COLLECTED[name])


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
    baselines_path: str,
    matched_path: str,
    manifest_path: str,
    predictions: Sequence[str],
    config: dict[str, Any],
    tables: dict[str, str],
    timing_figures: Sequence[str],
    curve_figures: Sequence[str],
    segmentation_path: str | None = None,
) -> None:
    """Quantitative (methods, then baselines), paired, matched-area, timing, faithfulness and
    claims tables (CSV, Markdown, LaTeX), the timing plot and the faithfulness curves.

    ``tables`` maps ``<table>_<csv|md|tex>`` to output paths; ``segmentation_path`` is the
    segmentation comparison's CSV when the run has one (claim (c) reads it).
    """
    metrics = read_table(metrics_path, "metrics")
    timings = read_table(timings_path, "timings")
    curves = read_table(faithfulness_path, "faithfulness")
    baselines = read_table(baselines_path, "metrics")
    matched = read_table(matched_path, "matched")
    options = config["report"]
    resamples, seed = options["bootstrap_resamples"], options["seed"]
    frames = {
        "quantitative": quantitative(
            pd.concat([metrics, baseline_metrics(baselines, matched)], ignore_index=True),
            resamples,
            seed,
        ),
        "paired": paired_differences(metrics, "secam", resamples, seed),
        "matched_area": matched_area(metrics, baselines, matched, resamples, seed),
        "timing": timing_table(timings),
        "faithfulness": faithfulness_summary(curves, resamples, seed),
    }
    head_paths = {
        row.model: row.head_path
        for path in predictions
        for row in read_table(path, "predictions").itertuples()
    }
    frames["claims"] = claims_table(
        metrics,
        timings,
        frames["matched_area"],
        read_table(manifest_path, "manifest"),
        head_paths,
        resamples,
        seed,
        segmentation=pd.read_csv(segmentation_path) if segmentation_path else None,
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
    grids: dict[int, Sequence[str]],
) -> None:
    """Table I, the grids of Tables II and III, and Figures 1-5 (see :mod:`secam.report.paper`).

    Table II holds the models with a global-average-pooling head (CAM exists), Table III the
    others (the paper's VGG16); ``grids`` maps 2 and 3 to their PNG and PDF paths.
    """
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
    grid_ids = (lime_ids or sorted(data.manifest["image_id"]))[:GRID_IMAGES]
    gap = [m for m in models if _head_path(data, m) == "cam"]
    explanation_grid(data, timings, gap, grid_ids, grids[2], "no model with a GAP head in this run")
    explanation_grid(
        data,
        timings,
        [m for m in models if m not in gap],
        grid_ids,
        grids[3],
        "no model without global average pooling in this run (VGG16 in config/paper.yaml)",
    )
    wrong = misclassified(data, models[0])
    for number in (3, 4, 5):
        index = number - 3
        figure_misclassified(
            data, models[0], wrong[index] if index < len(wrong) else None, figures[number]
        )


GRID_IMAGES = 4  # columns per model in Tables II and III, as in the paper


def _head_path(data: RunData, model: str) -> str | None:
    predictions = data.predictions(model)
    return None if predictions.empty else str(predictions["head_path"].iloc[0])


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


def run_segmentation_comparison(
    manifest_path: str,
    main: dict[str, Sequence[str]],
    compared: dict[str, Sequence[str]],
    config: dict[str, Any],
    tables: dict[str, str],
    figures: Sequence[str],
) -> None:
    """The segmentation comparison's table and figure (see :mod:`secam.report.segmentation`).

    ``main`` and ``compared`` map "metrics", "masks", "labels" and "segments" to the per-shard
    files of the main run and of the compared algorithms (``segcompare/<algorithm>/...``).
    """
    manifest = read_table(manifest_path, "manifest")
    algorithm = config["segmentation"]["algorithm"]
    metrics = pd.concat(
        [
            read_table(path, "metrics").assign(
                algorithm=segmentation_report.algorithm_of(path, algorithm)
            )
            for path in [*main["metrics"], *compared["metrics"]]
        ],
        ignore_index=True,
    )
    mask_files = [*main["masks"], *compared["masks"]]
    counts = segmentation_report.region_counts(
        [*main["segments"], *compared["segments"]], algorithm
    )
    options = config["report"]
    table = segmentation_report.comparison_table(
        metrics,
        counts,
        segmentation_report.agreement_rows(mask_files, algorithm),
        options["bootstrap_resamples"],
        options["seed"],
    )
    for fmt, path in tables.items():
        write_text(path, render(table, fmt))

    # The figure: the first images (by id) that every compared method explained for the first
    # model (LIME may run on a subset); only their masks and labels are read.
    model = config["models"][0]
    explained = [
        ids
        for (_, m, _), ids in segmentation_report.explained_images(mask_files, algorithm).items()
        if m == model
    ]
    shown = sorted(set.intersection(*explained))[: options["example_images"]] if explained else []
    labels: dict[str, dict] = {}
    for path in [*main["labels"], *compared["labels"]]:
        labels.setdefault(segmentation_report.algorithm_of(path, algorithm), {}).update(
            read_arrays(path, shown)
        )
    segmentation_report.draw_comparison(
        manifest,
        labels,
        segmentation_report.load_masks(mask_files, algorithm, shown),
        [algorithm, *config["segmentation"]["compare"]],
        model,
        config["segmentation"]["compare_methods"],
        shown,
        figures,
    )
