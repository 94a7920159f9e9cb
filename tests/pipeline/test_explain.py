"""The explanation stage on real validation images: every method and selection runs, and is
flagged, where a photograph has fewer superpixels than k; evaluate, baselines and the tables
count the truncated selections."""

import logging

import numpy as np
import pandas as pd

from secam.artifacts import read_arrays, read_table, write_arrays
from secam.pipeline.activate import run_activate
from secam.pipeline.baselines import run_baselines
from secam.pipeline.common import PROGRESS_LOGGER
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

from .conftest import SAMPLE_IDS, stage_config


def test_fewer_superpixels_than_k_goes_through_every_method_and_is_flagged(manifest, tmp_path):
    """Highly textured photographs can get 1-3 SLIC regions: every method and selection must
    still run, record the region count and flag each truncated top-k selection."""
    config = stage_config(
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
    # SeCAM: 3 top-k, 3 thresholds, gap, suff90; CAM: 3 thresholds; each LIME: 3 top-k, gap, suff90
    per_method = {"secam": 8, "cam": 3, "lime": 5, "lime-batched": 5}
    assert len(metrics) == 7 * sum(per_method.values())
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
        assert len(others) == 5 * per_method[method]
        assert (others["n_regions"] > 4).all() and not others["truncated"].any()
        # the sizes chosen without a hand-picked k take the one region there is, never truncated
        for selection in ("gap", "suff90"):
            assert rows.loc[(method, one_region, selection), "area"] == 1.0
            assert not rows.loc[(method, one_region, selection), "truncated"]
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
    assert {"gap", "suff90"} <= set(random.index.get_level_values("selection"))
    assert (baselines.loc[baselines["method"] == "full-image", "area"] == 1).all()
    matched = read_table(tmp_path / "matched.parquet", "matched")
    # every explanation of an image, each against 3 other methods and 2 area baselines
    assert len(matched) == 7 * sum(per_method.values()) * 5
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


def test_lime_reports_its_progress_on_the_progress_logger(sample_run, tmp_path, caplog):
    """The lines the workflow sends to the terminal (workflow/scripts/script_io.py)."""
    caplog.set_level(logging.INFO, logger=PROGRESS_LOGGER)
    config = {**sample_run.config, "lime": {**sample_run.config["lime"], "max_images": None}}
    outputs = ExplanationOutputs(tmp_path / "e.parquet", tmp_path / "m.npz", tmp_path / "t.pq")
    run_explain_lime(
        "lime-batched", "efficientnet_lite0", config, sample_run.inputs, outputs, label="job"
    )
    lines = [r.getMessage() for r in caplog.records if r.name == PROGRESS_LOGGER]
    total = len(SAMPLE_IDS)
    assert [line.split(",")[0] for line in lines] == [
        f"job: 1/{total} images",
        f"job: 2/{total} images",
    ]
    assert lines[0].endswith(" left") and " done in " in lines[1]
    seconds = read_table(outputs.timings, "timings")["total_seconds"]
    per_image = float(lines[1].split(", ")[1].removesuffix(" s/image"))
    assert seconds.mean() <= per_image  # the rate counts every second of the loop
