"""Report: merge the shards, summarise, and draw the example grid.

The per-shard files come as mappings from what a file holds to its path, keyed by the tuple of
its wildcard values, as :meth:`secam.layout.ResultsLayout.files` builds them: ``(model, shard)``
for predictions and maps, ``(model, method, shard)`` for explanations, masks and metrics,
``(shard,)`` for superpixels, with the algorithm first in the segmentation comparison's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from secam.artifacts import read_arrays, read_table, write_table, write_text
from secam.pipeline.completeness import check_complete, expected_explanations
from secam.provenance import provenance
from secam.report import segmentation_comparison
from secam.report.claims import COLUMNS as CLAIM_COLUMNS
from secam.report.claims import SUMMARY_COLUMNS as CLAIM_SUMMARY_COLUMNS
from secam.report.claims import claims_table
from secam.report.figures import ExampleCell, draw_examples
from secam.report.matched import baseline_metrics, chosen_against_fixed, matched_area
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
from secam.report.rendering import render, to_markdown
from secam.report.tables import (
    accuracy_table,
    chosen_sizes,
    faithfulness_summary,
    paired_differences,
    quantitative,
    selection_faithfulness,
    summarise,
    timing_table,
)
from secam.table_columns import check_columns, empty_table

# A shard file's key: the values of its wildcards (see the module's docstring).
Key = tuple[str, ...]


def concat_tables(paths: Iterable[str | Path], table: str) -> pd.DataFrame:
    return _concat_with_sources(paths, table)[0]


def _concat_with_sources(paths: Iterable[str | Path], table: str) -> tuple[pd.DataFrame, pd.Series]:
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
    files: Mapping[str, tuple[Mapping[Key, str], str]],
    manifest_path: str | Path,
    predictions: Mapping[Key, str],
    models: Sequence[str],
    methods: Sequence[str],
    lime: dict[str, Any],
    not_run: Mapping[str, str] | None = None,
) -> None:
    """Merge the per-shard tables: ``files`` maps a name of :data:`COLLECTED` to (its shard
    files, the merged output). Nothing is written unless every table holds exactly the
    explanations the manifest calls for (:mod:`secam.pipeline.completeness`); ``lime`` gives
    LIME's subset (``max_images``, ``seed``). ``not_run`` maps the tables of the stages switched
    off to their merged output, written empty (the report says they were not measured)."""
    merged, sources = {}, {}
    for name, (shard_files, _) in files.items():
        merged[name], sources[name] = _concat_with_sources(shard_files.values(), COLLECTED[name])
    expected = expected_explanations(
        read_table(manifest_path, "manifest"),
        concat_tables(predictions.values(), "predictions"),
        models,
        methods,
        lime["max_images"],
        lime["seed"],
    )
    check_complete(merged, sources, expected)
    for name, (_, out) in files.items():
        write_table(merged[name], out, COLLECTED[name])
    for name, out in (not_run or {}).items():
        write_table(empty_table(COLLECTED[name]), out, COLLECTED[name])


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
    predictions: Mapping[Key, str],
    config: dict[str, Any],
    tables: dict[str, str],
    timing_figures: Sequence[str],
    curve_figures: Sequence[str],
    segmentation_path: str | None = None,
) -> None:
    """Accuracy, quantitative (methods, then baselines), paired, matched-area, the sizes chosen
    without a hand-picked k and their comparison with the best top-k, timing, faithfulness and
    claims tables (CSV, Markdown, LaTeX), the timing plot and the faithfulness curves.

    ``tables`` maps ``<table>_<csv|md|tex>`` to output paths, ``predictions`` (model, shard) to
    the prediction files; ``segmentation_path`` is the segmentation comparison's CSV when the
    run has one (claim (c) reads it).
    """
    metrics = read_table(metrics_path, "metrics")
    timings = read_table(timings_path, "timings")
    curves = read_table(faithfulness_path, "faithfulness")
    baselines = read_table(baselines_path, "metrics")
    matched = read_table(matched_path, "matched")
    not_measured = not_measured_tables(config["stages"])
    options = config["report"]
    resamples, seed = options["bootstrap_resamples"], options["seed"]
    all_predictions = concat_tables(
        (path for _, path in sorted(predictions.items())), "predictions"
    )
    manifest = read_table(manifest_path, "manifest")
    frames = {
        "accuracy": accuracy_table(all_predictions, manifest, resamples, seed),
        "quantitative": quantitative(
            pd.concat([metrics, baseline_metrics(baselines, matched)], ignore_index=True),
            resamples,
            seed,
        ),
        "paired": paired_differences(metrics, "secam", resamples, seed),
        "matched_area": matched_area(metrics, baselines, matched, resamples, seed),
        "chosen_sizes": chosen_sizes(pd.concat([metrics, baselines], ignore_index=True)),
        "chosen_vs_fixed": chosen_against_fixed(metrics, matched, resamples, seed),
        "timing": timing_table(timings),
        "faithfulness": faithfulness_summary(curves, resamples, seed),
        "selection_faithfulness": selection_faithfulness(curves, resamples, seed),
    }
    head_paths = dict(zip(all_predictions["model"], all_predictions["head_path"], strict=True))
    frames["claims"] = claims_table(
        metrics,
        timings,
        None if "matched_area" in not_measured else frames["matched_area"],
        manifest,
        head_paths,
        resamples,
        seed,
        segmentation=pd.read_csv(segmentation_path) if segmentation_path else None,
        chosen_vs_fixed=frames["chosen_vs_fixed"],
    )
    claims = frames.pop("claims")
    for key, path in tables.items():
        name, fmt = key.rsplit("_", 1)
        if name == "claims":
            # the CSV keeps the full evidence, the Markdown and LaTeX the one-line summaries
            frame = claims[CLAIM_COLUMNS if fmt == "csv" else CLAIM_SUMMARY_COLUMNS]
        else:
            frame = frames[name]
        write_text(path, render(frame, fmt, not_measured.get(name)))
    draw_timing(timings, timing_figures)
    draw_curves(curves, curve_figures)


# The tables an optional stage feeds, by the stage's key in the config's ``stages`` section.
TABLES_OF_STAGE = {
    "faithfulness": ("faithfulness", "selection_faithfulness"),
    "baselines": ("matched_area", "chosen_vs_fixed"),
}


def not_measured_tables(stages: Mapping[str, bool]) -> dict[str, str]:
    """{table: why it holds nothing} for the tables of the stages switched off."""
    return {
        table: f"not measured: stages.{stage} is off in this run's configuration"
        for stage, names in TABLES_OF_STAGE.items()
        if not stages[stage]
        for table in names
    }


def run_paper_outputs(
    manifest_path: str,
    timings_path: str,
    artifacts: Mapping[str, Mapping[Key, str]],
    config: dict[str, Any],
    table_one_paths: dict[str, str],
    figures: dict[int, Sequence[str]],
    grids: dict[int, Sequence[str]],
) -> None:
    """Table I, the grids of Tables II and III, and Figures 1-5 (see :mod:`secam.report.paper`).

    ``artifacts`` maps "segments", "maps", "predictions" and "masks" to their shard files (the
    keys of :class:`RunData`). Table II holds the models with a global-average-pooling head (CAM
    exists), Table III the others (the paper's VGG16); ``grids`` maps 2 and 3 to their PNG and
    PDF paths.
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
    candidates = lime_ids or sorted(data.manifest["image_id"])
    gap = [m for m in models if _head_path(data, m) == "cam"]
    no_gap = [m for m in models if m not in gap]
    explanation_grid(
        data,
        timings,
        gap,
        candidates[: grid_images(len(gap))],
        grids[2],
        "no model with a GAP head in this run",
    )
    explanation_grid(
        data,
        timings,
        no_gap,
        candidates[: grid_images(len(no_gap))],
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
GRID_COLUMNS = 8  # the paper's widest grid (two models x 4 images); wider is illegible in print


def grid_images(n_models: int) -> int:
    """Images per model in Tables II and III: the paper's 4, fewer when more than two models
    share a grid, so that it keeps at most :data:`GRID_COLUMNS` columns (three models: 2 each)."""
    return max(1, min(GRID_IMAGES, GRID_COLUMNS // max(n_models, 1)))


def _head_path(data: RunData, model: str) -> str | None:
    predictions = data.predictions(model)
    return None if predictions.empty else str(predictions["head_path"].iloc[0])


def run_examples(
    manifest_path: str,
    explanations: Mapping[Key, str],
    masks: Mapping[Key, str],
    predictions: Mapping[Key, str],
    segments: Mapping[Key, str],
    config: dict[str, Any],
    outputs: Sequence[str],
) -> None:
    """The example grid (``outputs``: its PNG and PDF); ``explanations`` and ``masks`` map
    (model, method, shard) to the explanation tables and their masks, ``predictions`` (model,
    shard) to the predictions, ``segments`` (shard,) to the superpixel tables, whose times
    SeCAM and LIME are charged."""
    manifest = read_table(manifest_path, "manifest")
    image_ids = sorted(manifest["image_id"])[: config["report"]["example_images"]]
    seconds = concat_tables(segments.values(), "segments").set_index("image_id")["seconds"]
    cells = ExampleCell.gather(
        manifest, image_ids, explanations, masks, predictions.values(), seconds.to_dict()
    )
    draw_examples(cells, manifest.set_index("image_id"), outputs)


def run_segmentation_comparison(
    manifest_path: str,
    files: Mapping[str, Mapping[Key, str]],
    config: dict[str, Any],
    tables: dict[str, str],
    figures: Sequence[str],
) -> None:
    """The segmentation comparison's table and figure (:mod:`secam.report.segmentation_comparison`).

    ``files`` maps "metrics" and "masks" to {(algorithm, model, method, shard): path} and
    "labels" and "segments" to {(algorithm, shard): path}: the main algorithm's (the main run's
    files) and each compared algorithm's.
    """
    manifest = read_table(manifest_path, "manifest")
    algorithm = config["segmentation"]["algorithm"]
    metrics = pd.concat(
        [
            read_table(path, "metrics").assign(algorithm=key[0])
            for key, path in sorted(files["metrics"].items())
        ],
        ignore_index=True,
    )
    mask_files = files["masks"]
    counts = segmentation_comparison.region_counts(files["segments"])
    options = config["report"]
    table = segmentation_comparison.comparison_table(
        metrics,
        counts,
        segmentation_comparison.agreement_rows(mask_files, algorithm),
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
        for (_, m, _), ids in segmentation_comparison.explained_images(mask_files).items()
        if m == model
    ]
    shown = sorted(set.intersection(*explained))[: options["example_images"]] if explained else []
    labels: dict[str, dict] = {}
    for (label_algorithm, _), path in sorted(files["labels"].items()):
        labels.setdefault(label_algorithm, {}).update(read_arrays(path, shown))
    segmentation_comparison.draw_comparison(
        manifest,
        labels,
        segmentation_comparison.load_masks(mask_files, shown),
        [algorithm, *config["segmentation"]["compare"]],
        model,
        config["segmentation"]["compare_methods"],
        shown,
        figures,
    )
