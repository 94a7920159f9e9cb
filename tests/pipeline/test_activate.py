"""The activate stage on real validation images: batching changes how the maps are computed,
never the maps; timings charge each image its share of one shared pass."""

import numpy as np

from secam.artifacts import read_arrays, read_table
from secam.pipeline.activate import run_activate

from .conftest import stage_config


def _activate(manifest, tmp_path, batch_size, methods):
    config = stage_config(methods=methods, activation={"batch_size": batch_size})
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
