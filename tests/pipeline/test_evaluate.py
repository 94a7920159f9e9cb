"""The evaluate stage on real explanations of the two embedded photographs: its metrics are
score_batch's on the explain stage's masks and each method's heatmap; ``correct`` reads the
predictions table."""

import numpy as np
import pandas as pd
import pytest

from secam.artifacts import read_arrays, read_table, write_table
from secam.metrics import METRIC_NAMES, Explained, score_batch
from secam.pipeline.evaluate import run_evaluate
from secam.regions import upsample


def _evaluate(sample_run, method, out, predictions=None):
    inputs = sample_run.inputs
    run_evaluate(
        inputs.manifest,
        inputs.shard,
        predictions or inputs.predictions,
        sample_run.outputs[method].explanations,
        sample_run.outputs[method].masks,
        inputs.labels,
        sample_run.maps,
        out,
    )
    return read_table(out, "metrics")


@pytest.mark.parametrize("method", ["secam", "cam"])
def test_metrics_are_score_batch_on_the_masks_and_heatmaps(sample_run, method, tmp_path):
    metrics = _evaluate(sample_run, method, tmp_path / "metrics.parquet")
    explanations = read_table(sample_run.explanations[method], "explanations")
    manifest = read_table(sample_run.inputs.manifest, "manifest").set_index("image_id")
    masks = read_arrays(sample_run.outputs[method].masks)
    labels = read_arrays(sample_run.inputs.labels)
    maps = read_arrays(sample_run.maps)

    # one row per explanation, in its order, with the explanation's own columns
    # SeCAM: 3 top-k, 3 thresholds, gap and suff90 per image; CAM: 3 thresholds
    assert len(metrics) == len(explanations) == (16 if method == "secam" else 6)
    for column in ("image_id", "method", "selection", "target_index", "area", "n_regions"):
        assert metrics[column].tolist() == explanations[column].tolist(), column
    assert metrics["n_selected"].tolist() == explanations["selected_regions"].map(len).tolist()
    if method == "secam":
        top3 = metrics[metrics["selection"] == "top3"]
        assert (top3["n_selected"] == 3).all()
    else:
        assert (metrics["n_selected"] == 0).all()  # a pixel method selects no superpixels

    items, boxes = [], []
    for row in explanations.itertuples():
        if method == "secam":  # each pixel's region score
            heatmap = np.asarray(row.region_scores)[labels[row.image_id]]
        else:  # the cached map at the image's size
            size = (
                int(manifest.loc[row.image_id, "height"]),
                int(manifest.loc[row.image_id, "width"]),
            )
            heatmap = upsample(maps[f"cam/{row.image_id}"], size).numpy()
        mask = masks[f"{row.image_id}/{row.selection}"]
        assert mask.shape == heatmap.shape
        np.testing.assert_allclose(metrics.loc[row.Index, "area"], mask.mean())
        items.append(Explained(mask, heatmap))
        boxes.append([[int(v) for v in box] for box in manifest.loc[row.image_id, "boxes"]])
    expected = score_batch(items, boxes)
    for name in METRIC_NAMES:
        np.testing.assert_allclose(metrics[name], expected[name], rtol=1e-12, err_msg=name)
    # every explanation overlaps its object's box
    assert metrics[["box_iou", "mask_iou", "ebpg", "energy_ebpg"]].gt(0).all().all()
    assert (metrics[["box_iou", "mask_iou", "ebpg", "energy_ebpg"]] <= 1).all().all()
    assert metrics["pointing_hit"].isin([0.0, 1.0]).all()
    by_image = metrics.groupby("image_id")
    assert (by_image["energy_ebpg"].nunique() == 1).all()  # one heatmap per image
    assert (by_image["pointing_hit"].nunique() == 1).all()


def test_correct_compares_the_predicted_index_with_the_label(sample_run, tmp_path):
    metrics = _evaluate(sample_run, "secam", tmp_path / "metrics.parquet").set_index("image_id")
    # the model calls the tabby (281) an Egyptian cat (285) and the espresso (967) an espresso
    assert (metrics.loc["chelsea", "label_index"] == 281).all()
    assert (metrics.loc["chelsea", "predicted_index"] == 285).all()
    assert not metrics.loc["chelsea", "correct"].any()
    assert (metrics.loc["coffee", "predicted_index"] == 967).all()
    assert metrics.loc["coffee", "correct"].all()

    # a model whose top-1 class is no ImageNet class: predicted_index -1, never correct
    predictions = read_table(sample_run.inputs.predictions, "predictions")
    predictions["predicted_index"] = -1
    changed = tmp_path / "predictions.parquet"
    write_table(predictions, changed, "predictions")
    relabelled = _evaluate(sample_run, "secam", tmp_path / "m2.parquet", predictions=changed)
    assert (relabelled["predicted_index"] == -1).all()
    assert not relabelled["correct"].any()
    assert relabelled["label_index"].tolist() == metrics["label_index"].tolist()
    # the explanations and their scores do not depend on the prediction
    pd.testing.assert_frame_equal(
        relabelled[list(METRIC_NAMES)], metrics.reset_index()[list(METRIC_NAMES)]
    )
