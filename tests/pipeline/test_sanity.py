"""The randomisation test's stage (src/secam/pipeline/sanity.py) on the two embedded photographs
with the embedded EfficientNet-Lite0: every method of the run, LIME on its seeded subset."""

import pandas as pd
import pytest

from secam.artifacts import read_arrays, read_table
from secam.imaging import load_rgb
from secam.pipeline.explain import selections_for
from secam.pipeline.sanity import run_sanity, run_sanity_report, sanity_images, seeded_order
from secam.table_columns import TABLES

from ..conftest import sample_image_path
from .conftest import SAMPLE_IDS

METHODS = ["secam", "cam", "gradcam", "lime"]
DEPTH = 2


@pytest.fixture(scope="module")
def sanity_run(sample_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("sanity")
    config = {
        **sample_run.config,
        "methods": METHODS,
        "sanity": {"depth": DEPTH, "seed": 0, "figure_images": 1, "lime_images": 1},
    }
    table, heatmaps = out / "sanity.parquet", out / "sanity.npz"
    run_sanity("efficientnet_lite0", config, sample_run.inputs, table, heatmaps)
    return config, read_table(table, "sanity"), table, heatmaps


def _selections(method, config) -> list[str]:
    return [s.name for s in selections_for(method, config) if not getattr(s, "needs_model", False)]


def test_one_row_per_image_method_depth_and_selection(sanity_run, sample_run):
    config, rows, _, _ = sanity_run
    assert list(rows.columns) == list(TABLES["sanity"])
    lime_ids, figure_ids = sanity_images(sample_run.inputs.manifest, config["sanity"])
    assert len(lime_ids) == 1 and lime_ids == figure_ids  # LIME's image is the figure's
    for method in METHODS:
        images = sorted(lime_ids) if method == "lime" else list(SAMPLE_IDS)
        expected = {
            (image_id, depth, selection)
            for image_id in images
            for depth in range(1, DEPTH + 1)
            for selection in _selections(method, config)
        }
        of_method = rows[rows["method"] == method]
        assert len(of_method) == len(expected), method
        found = zip(of_method["image_id"], of_method["depth"], of_method["selection"], strict=True)
        assert set(found) == expected
    assert dict(zip(rows["depth"], rows["randomised"], strict=True)) == {
        1: "head",
        2: "network._conv_head+network._bn1",
    }
    predictions = read_table(sample_run.inputs.predictions, "predictions").set_index("image_id")
    # every randomised model explains the trained model's class
    assert (rows["target_index"] == predictions.loc[rows["image_id"], "target_index"].values).all()
    assert rows["spearman"].between(-1, 1).all() and rows["mask_iou"].between(0, 1).all()


def test_cam_and_secam_change_once_the_head_is_randomised(sanity_run):
    _, rows, _, _ = sanity_run
    head = rows[(rows["depth"] == 1) & rows["method"].isin(["cam", "secam"])]
    assert len(head.drop_duplicates(["image_id", "method"])) == 4
    assert (head["spearman"] < 0.9).all()
    assert (head.groupby("method")["mask_iou"].mean() < 0.9).all()


def test_figure_heatmaps_per_method_and_depth(sanity_run, sample_run):
    config, _, _, heatmaps = sanity_run
    _, figure_ids = sanity_images(sample_run.inputs.manifest, config["sanity"])
    (image_id,) = figure_ids
    arrays = read_arrays(heatmaps)
    assert set(arrays) == {
        f"{image_id}/{method}/{depth}" for method in METHODS for depth in range(DEPTH + 1)
    }
    height, width = load_rgb(sample_image_path(image_id)).shape[:2]
    assert all(heat.shape == (height, width) for heat in arrays.values())
    # the trained model's heatmap differs from the head-randomised one
    assert not (arrays[f"{image_id}/cam/0"] == arrays[f"{image_id}/cam/1"]).all()


def test_the_draw_does_not_depend_on_the_order_of_the_ids():
    ids = [f"img{i}" for i in range(10)]
    assert seeded_order(ids, 3) == seeded_order(ids[::-1], 3)
    assert sorted(seeded_order(ids, 3)) == ids
    assert seeded_order(ids, 3) != seeded_order(ids, 4)


def test_report_writes_the_summary_and_the_figure(sanity_run, sample_run, tmp_path):
    config, _, table, heatmaps = sanity_run
    key = ("efficientnet_lite0", "shard00000")
    outputs = {"csv": tmp_path / "sanity.csv", "md": tmp_path / "sanity.md"}
    figures = [tmp_path / "sanity.png", tmp_path / "sanity.pdf"]
    run_sanity_report(
        {key: table}, {key: heatmaps}, sample_run.inputs.manifest, config, outputs, figures
    )
    summary = pd.read_csv(outputs["csv"], keep_default_na=False)
    assert list(summary.columns) == list(TABLES["sanity_summary"])
    assert len(summary) == len(METHODS) * DEPTH
    assert set(summary.loc[summary["depth"] != 2, "verdict"]) == {""}
    assert set(summary.loc[summary["depth"] == 2, "verdict"]) <= {
        "changes with the model",
        "does not change with the model",
        "unclear",
    }
    assert "spearman" in outputs["md"].read_text()
    assert all(f.stat().st_size > 10_000 for f in figures)
