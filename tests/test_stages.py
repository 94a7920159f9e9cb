"""The per-shard stages on real validation images: batching and worker processes change how
the work is done, never its results."""

import numpy as np
import pandas as pd
import pytest

from secam.artifacts import read_arrays, read_table, write_arrays, write_table
from secam.config import validate_config
from secam.pipeline.activate import run_activate
from secam.pipeline.baselines import run_baselines
from secam.pipeline.common import batch_size_for
from secam.pipeline.evaluate import run_evaluate
from secam.pipeline.explain import (
    ExplanationOutputs,
    ShardInputs,
    run_explain_lime,
    run_explain_maps,
)
from secam.pipeline.segment import run_segment
from secam.report.matched import baseline_metrics
from secam.report.tables import quantitative
from secam.staging import stage_dataset

KAGGLE_VAL = ("ILSVRC", "Data", "CLS-LOC", "val")


@pytest.fixture(scope="module")
def manifest(ilsvrc_sample, tmp_path_factory):
    """Seven real validation images in one shard (seven: batches of 4 leave a partial one)."""
    staged = stage_dataset(
        ilsvrc_sample / "LOC_val_solution.csv",
        ilsvrc_sample.joinpath(*KAGGLE_VAL),
        synsets=ilsvrc_sample / "LOC_synset_mapping.txt",
        shard_size=1000,
    )
    rows = staged.manifest.iloc[::29].head(7).reset_index(drop=True)
    path = tmp_path_factory.mktemp("stages") / "manifest.parquet"
    write_table(rows, path, "manifest")
    return path


def _config(**sections) -> dict:
    """A validated configuration (the schema fills every default, as for a workflow run)."""
    required = {
        "results": "results",
        "dataset": {"annotations": "boxes.csv", "images": "images"},
        "models": ["efficientnet_lite0"],
        "selection": {"top_k": [2, 3, 4], "thresholds": [0.8, 0.7, 0.6]},
        "timing": {"warmup": 0},
        "report": {},
    }
    return validate_config({**required, "device": "cpu", **sections})


def _activate(manifest, tmp_path, batch_size, methods):
    config = _config(methods=methods, activation={"batch_size": batch_size})
    out = tmp_path / f"batch{batch_size}"
    out.mkdir()
    paths = (out / "maps.npz", out / "predictions.parquet", out / "timings.parquet")
    run_activate(manifest, "shard00000", "efficientnet_lite0", config, *paths, threads=2)
    return (
        read_arrays(paths[0]),
        read_table(paths[1], "predictions"),
        read_table(paths[2], "map_timings"),
    )


def test_batched_maps_equal_one_image_at_a_time(manifest, tmp_path):
    methods = ["secam", "cam", "gradcam", "secam_gradcampp", "secam_layercam"]
    single_maps, single_pred, _ = _activate(manifest, tmp_path, 1, methods)
    batch_maps, batch_pred, timings = _activate(manifest, tmp_path, 4, methods)

    assert sorted(batch_maps) == sorted(single_maps)
    assert {key.split("/")[0] for key in batch_maps} == {"cam", "gradcam", "gradcampp", "layercam"}
    assert len(batch_maps) == 4 * 7
    for key, expected in single_maps.items():
        np.testing.assert_allclose(batch_maps[key], expected, atol=1e-5, rtol=1e-4, err_msg=key)
    assert batch_pred["target_index"].tolist() == single_pred["target_index"].tolist()
    for a, b in zip(batch_pred["top5_probs"], single_pred["top5_probs"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)

    # 7 images at batch 4: one batch of 4 and one of 3, each image charged its share
    assert sorted(timings.drop_duplicates("image_id")["batch_size"]) == [3, 3, 3, 4, 4, 4, 4]
    by_source = timings.set_index("source")
    assert (by_source.loc["cam", "backward_seconds"] == 0).all()
    assert (by_source.loc["gradcam", "backward_seconds"] > 0).all()
    assert (timings["forward_seconds"] > 0).all() and (timings["map_seconds"] > 0).all()
    parts = timings[["forward_seconds", "backward_seconds", "map_seconds"]].sum(axis=1)
    np.testing.assert_allclose(timings["seconds"], parts)
    # one pass serves every source: the same forward share for all of an image's maps
    forward = timings.groupby("image_id")["forward_seconds"].nunique()
    assert (forward == 1).all()
    assert (timings["threads"] == 2).all()  # the activate job's, which explain rows report


def test_segmentation_workers_do_not_change_the_labels(manifest, tmp_path):
    params = {"algorithm": "slic", "n_segments": 50, "compactness": 10, "downscale": 2}
    outputs = {}
    for workers in (1, 2):
        labels, table = tmp_path / f"labels{workers}.npz", tmp_path / f"seg{workers}.parquet"
        run_segment(manifest, "shard00000", params, labels, table, workers=workers)
        outputs[workers] = (read_arrays(labels), read_table(table, "segments"))
    (one, one_table), (two, two_table) = outputs[1], outputs[2]
    assert list(one) == list(two) == sorted(one)  # manifest order, whatever finishes first
    for image_id in one:
        assert np.array_equal(one[image_id], two[image_id])
    pd.testing.assert_frame_equal(
        one_table.drop(columns="seconds"), two_table.drop(columns="seconds")
    )
    assert (two_table["seconds"] > 0).all()


@pytest.mark.parametrize(
    ("setting", "device", "expected"),
    [(8, "cuda", 8), ({"cpu": 4, "cuda": 64}, "cuda", 64), ({"cpu": 4, "cuda": 64}, "mps", 4)],
)
def test_batch_size_per_device(setting, device, expected):
    assert batch_size_for(setting, device) == expected


def test_fewer_superpixels_than_k_goes_through_every_method_and_is_flagged(manifest, tmp_path):
    """Highly textured photographs can get 1-3 SLIC regions: every method and selection must
    still run, record the region count and flag each truncated top-k selection."""
    config = _config(
        methods=["secam", "cam", "lime", "lime-batched"],
        activation={"batch_size": 4},
        lime={"num_samples": 8, "seed": 0, "batch_size": 4},
    )
    params = {"algorithm": "slic", "n_segments": 50, "compactness": 10, "downscale": 2}
    labels_path, segments_path = tmp_path / "labels.npz", tmp_path / "segments.parquet"
    run_segment(manifest, "shard00000", params, labels_path, segments_path)
    labels = read_arrays(labels_path)
    one_region, two_regions = sorted(labels)[:2]
    labels[one_region] = np.zeros_like(labels[one_region])
    labels[two_regions] = np.zeros_like(labels[two_regions])
    labels[two_regions][:, labels[two_regions].shape[1] // 2 :] = 1
    write_arrays(labels_path, labels)

    maps, predictions = tmp_path / "maps.npz", tmp_path / "predictions.parquet"
    map_timings = tmp_path / "map_timings.parquet"
    run_activate(
        manifest, "shard00000", "efficientnet_lite0", config, maps, predictions, map_timings
    )
    inputs = ShardInputs(manifest, "shard00000", labels_path, segments_path, predictions)
    metrics = []
    for method in config["methods"]:
        outputs = ExplanationOutputs(
            tmp_path / f"{method}.parquet", tmp_path / f"{method}.npz", tmp_path / f"{method}.t"
        )
        if method.startswith("lime"):
            run_explain_lime(method, "efficientnet_lite0", config, inputs, outputs)
        else:
            run_explain_maps(
                method, "efficientnet_lite0", config, inputs, maps, map_timings, outputs
            )
        run_evaluate(
            manifest,
            "shard00000",
            predictions,
            outputs.explanations,
            outputs.masks,
            labels_path,
            maps,
            tmp_path / f"{method}.metrics.parquet",
        )
        metrics.append(read_table(tmp_path / f"{method}.metrics.parquet", "metrics"))
    metrics = pd.concat(metrics, ignore_index=True)
    assert len(metrics) == 7 * (6 + 3 + 3 + 3)
    assert metrics[["box_iou", "mask_iou", "ebpg"]].notna().all().all()
    assert metrics["pointing_hit"].isin([0.0, 1.0]).all()
    # the heatmap metrics are the image's: one value for all of its selections
    per_image = metrics.groupby(["method", "image_id"])[["energy_ebpg", "pointing_hit"]].nunique()
    assert (per_image <= 1).all().all()

    rows = metrics.set_index(["method", "image_id", "selection"]).sort_index()
    for method in ("secam", "lime", "lime-batched"):
        assert rows.loc[(method, one_region), "n_regions"].eq(1).all()
        assert rows.loc[(method, two_regions), "n_regions"].eq(2).all()
        for selection, k in (("top2", 2), ("top3", 3), ("top4", 4)):
            assert rows.loc[(method, one_region, selection), "truncated"]
            assert rows.loc[(method, two_regions, selection), "truncated"] == (k > 2)
            # a truncated selection holds every superpixel: the whole image
            assert rows.loc[(method, one_region, selection), "area"] == 1.0
        others = metrics[
            (metrics["method"] == method) & ~metrics["image_id"].isin([one_region, two_regions])
        ]
        assert len(others) == 5 * 3 * (2 if method == "secam" else 1)
        assert (others["n_regions"] > 4).all() and not others["truncated"].any()
    assert not metrics[metrics["method"] == "cam"]["truncated"].any()
    assert not metrics[metrics["selection"].str.startswith("thr")]["truncated"].any()

    # the baselines, and every method redrawn at every other one's area, on the same images
    run_baselines(
        "efficientnet_lite0",
        {**config, "baselines": {"seed": 0}},
        inputs,
        maps,
        {method: tmp_path / f"{method}.parquet" for method in config["methods"]},
        tmp_path / "baselines.parquet",
        tmp_path / "matched.parquet",
    )
    baselines = read_table(tmp_path / "baselines.parquet", "metrics")
    random = baselines[baselines["method"] == "random-regions"].set_index(["image_id", "selection"])
    assert (
        random.loc[(one_region, "top2"), "truncated"]
        and random.loc[(one_region, "top2"), "area"] == 1
    )
    assert random.loc[(two_regions, "top3"), "truncated"]
    assert not random.loc[(two_regions, "top2"), "truncated"]
    assert (baselines.loc[baselines["method"] == "full-image", "area"] == 1).all()
    matched = read_table(tmp_path / "matched.parquet", "matched")
    # 15 explanations per image, each against 3 other methods and 2 area baselines
    assert len(matched) == 7 * 15 * 5
    assert matched[["box_iou", "mask_iou"]].notna().all().all()
    one = matched[(matched["image_id"] == one_region) & (matched["comparator"] != "centre-box")]
    assert (one[one["comparator"] != "cam"]["comparator_area"] == 1).all()  # one superpixel

    table = quantitative(
        pd.concat([metrics, baseline_metrics(baselines, matched)]), resamples=100
    ).set_index(["method", "selection"])
    assert table.loc[("secam", "top2"), "truncated"] == 1
    assert table.loc[("secam", "top4"), "truncated"] == 2
    assert table.loc[("random-regions", "top4"), "truncated"] == 2
    assert table.loc[("cam", "thr70"), "truncated"] == 0
