"""The report stages' merging and summary: collect merges the shards in order, refuses an
incomplete one and writes the tables of the stages switched off empty; summary writes the
per-method means with the run's provenance."""

import json

import numpy as np
import pandas as pd
import pytest

from secam import __version__
from secam.artifacts import read_table, write_table
from secam.config import config_hash
from secam.pipeline.completeness import IncompleteResultsError
from secam.pipeline.report import (
    GRID_COLUMNS,
    grid_images,
    not_measured_tables,
    run_collect,
    run_summary,
)
from secam.staging import stage_dataset
from secam.table_columns import TABLES

from ..conftest import SAMPLE
from .conftest import stage_config

MODEL = "lite0"
SELECTIONS = {"secam": ("top2", "top3"), "cam": ("thr80",)}
METRICS = ("box_iou", "mask_iou", "ebpg", "energy_ebpg", "pointing_hit")


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """The six embedded images in two shards (4 + 2), their predictions, and per shard a
    metrics and a baselines table whose rows come in reverse order."""
    folder = tmp_path_factory.mktemp("collect")
    manifest = stage_dataset(SAMPLE / "LOC_val_solution.csv", SAMPLE / "images", shard_size=4)
    manifest = manifest.manifest
    write_table(manifest, folder / "manifest.parquet", "manifest")
    rng = np.random.default_rng(0)
    files = {"predictions": {}, "metrics": {}, "baselines": {}}
    rows = {"metrics": [], "baselines": []}
    for shard, images in manifest.groupby("shard"):
        ids = sorted(images["image_id"])
        predictions = pd.DataFrame(
            {
                "image_id": ids,
                "model": MODEL,
                "head_path": "cam",
                "target_index": images["class_index"].tolist(),
                "target_label": images["label"].tolist(),
                "top5_indices": [[int(i), 0, 1, 2, 3] for i in images["class_index"]],
                "top5_probs": [[0.6, 0.1, 0.1, 0.1, 0.1]] * len(ids),
                "predicted_index": images["class_index"].tolist(),
                "device": "cpu",
            }
        )
        files["predictions"][(MODEL, shard)] = _write(predictions, folder, "predictions", shard)
        baselines = _metrics_rows(
            rng, ids, [("random-regions", "top2"), ("full-image", "all")], images
        )
        files["baselines"][(MODEL, shard)] = _write(baselines, folder, "baselines", shard)
        rows["baselines"].append(baselines)
        for method, selections in SELECTIONS.items():
            metrics = _metrics_rows(rng, ids, [(method, s) for s in selections], images)
            path = _write(metrics, folder, f"metrics_{method}", shard)
            files["metrics"][(MODEL, method, shard)] = path
            rows["metrics"].append(metrics)
    written = {name: pd.concat(frames, ignore_index=True) for name, frames in rows.items()}
    return folder, files, written


def _metrics_rows(rng, ids, explanations, images):
    classes = images.set_index("image_id")["class_index"]
    rows = [
        {
            "image_id": image_id,
            "model": MODEL,
            "method": method,
            "selection": selection,
            "label_index": int(classes[image_id]),
            "predicted_index": int(classes[image_id]),
            "target_index": int(classes[image_id]),
            "correct": True,
            "area": rng.uniform(0.05, 0.5),
            "n_regions": 0 if method == "cam" else 40,
            "truncated": False,
            **{name: rng.uniform() for name in METRICS[:-1]},
            "pointing_hit": float(rng.integers(2)),
            "seconds": rng.uniform(0.001, 0.01),
        }
        for image_id in ids
        for method, selection in explanations
    ]
    return pd.DataFrame(rows[::-1], columns=list(TABLES["metrics"]))


def _write(frame, folder, name, shard):
    table = "predictions" if name == "predictions" else "metrics"
    path = folder / f"{name}_{shard}.parquet"
    write_table(frame, path, table)
    return str(path)


def _collect(shards, out, files=None):
    folder, all_files, _ = shards
    files = files or {name: all_files[name] for name in ("metrics", "baselines")}
    run_collect(
        {name: (shard_files, out / f"{name}.parquet") for name, shard_files in files.items()},
        folder / "manifest.parquet",
        all_files["predictions"],
        [MODEL],
        list(SELECTIONS),
        {"max_images": None, "seed": 0},
        not_run={name: out / f"{name}.parquet" for name in ("faithfulness", "matched")},
    )


def _keys(frame):
    return list(frame[["model", "method", "image_id", "selection"]].itertuples(index=False))


def test_collect_merges_the_shards_sorted_and_writes_the_tables_not_run_empty(shards, tmp_path):
    _, files, written = shards
    # the shards in reverse order, as a mapping may give them
    reversed_files = {name: dict(reversed(files[name].items())) for name in written}
    _collect(shards, tmp_path, reversed_files)
    for name, rows in written.items():
        merged = read_table(tmp_path / f"{name}.parquet", "metrics")
        assert len(merged) == len(rows) == 6 * (3 if name == "metrics" else 2)
        assert _keys(merged) == sorted(_keys(rows))
        # every row as written, only reordered
        expected = rows.sort_values(["model", "method", "image_id", "selection"])
        pd.testing.assert_frame_equal(merged, expected.reset_index(drop=True))
    merged = read_table(tmp_path / "metrics.parquet", "metrics")
    assert merged["method"].tolist() == ["cam"] * 6 + ["secam"] * 12
    assert merged["image_id"].tolist()[:6] == sorted(written["metrics"]["image_id"].unique())

    for name, table in (("faithfulness", "faithfulness"), ("matched", "matched")):
        empty = read_table(tmp_path / f"{name}.parquet", table)
        assert empty.empty and list(empty.columns) == list(TABLES[table])


def test_collect_refuses_a_shard_that_lacks_an_image(shards, tmp_path):
    folder, files, _ = shards
    secam_shard1 = files["metrics"][(MODEL, "secam", "shard00001")]
    partial = read_table(secam_shard1, "metrics")
    dropped = sorted(partial["image_id"])[-1]
    partial_path = str(folder / "partial.parquet")
    write_table(partial[partial["image_id"] != dropped], partial_path, "metrics")
    metrics = {**files["metrics"], (MODEL, "secam", "shard00001"): partial_path}

    with pytest.raises(IncompleteResultsError) as raised:
        _collect(shards, tmp_path, {"metrics": metrics, "baselines": files["baselines"]})
    message = str(raised.value)
    assert (
        f"metrics {MODEL}/secam/shard00001: 1 image(s) missing: {dropped} (file: {partial_path})"
        in message
    )
    assert "shard00000" not in message and "baselines" not in message
    # nothing merged is written from an incomplete set
    assert not (tmp_path / "metrics.parquet").exists()
    assert not (tmp_path / "baselines.parquet").exists()


def test_not_measured_tables_name_the_stage_switched_off():
    assert not_measured_tables(
        {"faithfulness": False, "baselines": True, "paper_figures": True}
    ) == {
        table: "not measured: stages.faithfulness is off in this run's configuration"
        for table in ("faithfulness", "selection_faithfulness")
    }
    assert not_measured_tables(
        {"faithfulness": True, "baselines": False, "paper_figures": False}
    ) == {
        table: "not measured: stages.baselines is off in this run's configuration"
        for table in ("matched_area", "chosen_vs_fixed")
    }
    assert (
        not_measured_tables({"faithfulness": True, "baselines": True, "paper_figures": False}) == {}
    )


def test_summary_writes_the_means_the_table_and_the_run_info(shards, tmp_path):
    _, _, written = shards
    metrics = written["metrics"]
    write_table(metrics, tmp_path / "metrics.parquet", "metrics")
    config = stage_config(methods=list(SELECTIONS))
    out = {name: tmp_path / f"summary.{name}" for name in ("csv", "md", "json")}
    run_summary(str(tmp_path / "metrics.parquet"), config, *map(str, out.values()))

    summary = pd.read_csv(out["csv"])
    assert list(summary.columns) == list(TABLES["summary"])
    # paper order (secam.methods.ORDER: the baselines, then SeCAM), top-k ascending
    assert list(zip(summary["method"], summary["selection"], strict=True)) == [
        ("cam", "thr80"),
        ("secam", "top2"),
        ("secam", "top3"),
    ]
    assert (summary["model"] == MODEL).all() and (summary["n"] == 6).all()
    for row in summary.itertuples():
        group = metrics[(metrics["method"] == row.method) & (metrics["selection"] == row.selection)]
        for name in ("box_iou", "mask_iou", "ebpg", "area"):
            assert getattr(row, name) == pytest.approx(group[name].mean(), abs=5e-5)
        assert row.median_seconds == pytest.approx(group["seconds"].median(), abs=5e-5)

    lines = out["md"].read_text().splitlines()
    assert lines[0] == (
        "| model | method | selection | n | IoU (box) | IoU (mask) | EBPG | area "
        "| median time (s) |"
    )
    assert len(lines) == 2 + 3
    top2 = metrics.loc[(metrics["method"] == "secam") & (metrics["selection"] == "top2"), "box_iou"]
    assert lines[3].startswith(f"| {MODEL} | secam | top2 | 6 | {top2.mean():.3f} |")

    info = json.loads(out["json"].read_text())
    assert info["config"] == config
    assert info["config_hash"] == config_hash(config)
    assert info["secam"] == __version__
    assert {"torch", "numpy", "pandas"} <= set(info["packages"])


def test_paper_grids_keep_four_images_per_model_up_to_the_papers_width():
    # the paper: 4 images per model, two models in Table II; three models get 2 each
    assert [grid_images(n) for n in range(1, 6)] == [4, 4, 2, 2, 1]
    assert all(n * grid_images(n) <= GRID_COLUMNS for n in range(1, 9))
    assert grid_images(0) == 4  # an empty grid draws its note, whatever the count
