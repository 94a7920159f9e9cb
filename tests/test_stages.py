"""The per-shard stages on real validation images: batching and worker processes change how
the work is done, never its results."""

import numpy as np
import pandas as pd
import pytest

from secam.artifacts import read_arrays, read_table, write_table
from secam.pipeline.activate import run_activate
from secam.pipeline.common import batch_size_for
from secam.pipeline.segment import run_segment
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


def _activate(manifest, tmp_path, batch_size, methods):
    config = {
        "methods": methods,
        "device": "cpu",
        "target": "predicted",
        "activation": {"batch_size": batch_size},
        "timing": {"warmup": 0},
    }
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
