"""The segment stage on real validation images: worker processes never change the labels."""

import numpy as np
import pandas as pd

from secam.artifacts import read_arrays, read_table
from secam.pipeline.segment import run_segment


def test_segmentation_workers_do_not_change_the_labels(manifest, tmp_path):
    # skimage's backend: the one segmented by worker processes (numba's threads are
    # tests/test_numba_slic.py::test_the_labels_do_not_depend_on_the_number_of_threads)
    params = {
        "algorithm": "slic",
        "n_segments": 50,
        "compactness": 10,
        "downscale": 2,
        "backend": "skimage",
    }
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


def test_torch_backend_segments_in_batches_like_skimage(manifest, tmp_path, monkeypatch):
    """SLIC's torch backend in the stage: batches of 3 over seven images (a partial last
    batch), like-sized images together, give the labels of one image at a time, agree with
    skimage's stage, and the table lists the images in manifest order."""
    from sklearn.metrics import adjusted_rand_score

    import secam.torch_slic

    batches = []
    slic = secam.torch_slic.slic
    monkeypatch.setattr(
        secam.torch_slic,
        "slic",
        lambda images, **kw: batches.append([i.shape[:2] for i in images]) or slic(images, **kw),
    )
    outputs = {}
    for name, extra in {
        "skimage": {},
        "torch": {"backend": "torch", "batch_size": 3},
        "torch-single": {"backend": "torch", "batch_size": 1},
    }.items():
        params = {"algorithm": "slic", "n_segments": 50, "compactness": 10, **extra}
        labels, table = tmp_path / f"{name}.npz", tmp_path / f"{name}.parquet"
        run_segment(manifest, "shard00000", params, labels, table, workers=2, device="cpu")
        outputs[name] = (read_arrays(labels), read_table(table, "segments"))
    (skimage, skimage_table), (batched, table), (single, _) = outputs.values()
    assert [len(shapes) for shapes in batches] == [3, 3, 1] + [1] * 7
    shapes = [shape for batch in batches[:3] for shape in batch]
    assert shapes == sorted(shapes) and len(set(shapes)) > 1  # by size, and sizes to sort
    assert sorted(batched) == sorted(skimage) and len(batched) == 7
    for image_id, labels in batched.items():
        assert np.array_equal(labels, single[image_id])
        assert adjusted_rand_score(skimage[image_id].ravel(), labels.ravel()) > 0.99
    assert table["image_id"].tolist() == skimage_table["image_id"].tolist()
    assert table["image_id"].tolist() == list(skimage)  # the manifest's order
    assert (table["n_regions"] == [int(batched[i].max()) + 1 for i in table["image_id"]]).all()
    assert (table["seconds"] > 0).all()


def test_numba_backend_segments_one_image_at_a_time_with_skimages_labels(manifest, tmp_path):
    """SLIC's numba backend in the stage: each image on the job's two threads, the labels and
    the table of skimage's stage, in manifest order."""
    outputs = {}
    for backend in ("skimage", "numba"):
        params = {"algorithm": "slic", "n_segments": 50, "compactness": 10, "backend": backend}
        labels, table = tmp_path / f"{backend}.npz", tmp_path / f"{backend}.parquet"
        run_segment(manifest, "shard00000", params, labels, table, workers=2)
        outputs[backend] = (read_arrays(labels), read_table(table, "segments"))
    (skimage, skimage_table), (ours, table) = outputs.values()
    assert list(ours) == list(skimage) and len(ours) == 7
    for image_id, labels in ours.items():
        assert np.array_equal(labels, skimage[image_id])
    pd.testing.assert_frame_equal(
        table.drop(columns="seconds"), skimage_table.drop(columns="seconds")
    )


def test_the_numba_stage_warms_up_before_it_times_an_image(manifest, tmp_path, monkeypatch):
    """numba's one-time compile or cache load happens before the first timed segmentation, so
    no image (Table I's first above all) is charged it."""
    import secam.numba_slic
    import secam.pipeline.segment as stage

    calls = []
    warm_up, segment = secam.numba_slic.warm_up, stage.segment
    monkeypatch.setattr(secam.numba_slic, "warm_up", lambda: calls.append("warm-up") or warm_up())
    monkeypatch.setattr(
        stage, "segment", lambda *a, **kw: calls.append("image") or segment(*a, **kw)
    )
    params = {"algorithm": "slic", "n_segments": 50, "compactness": 10, "backend": "numba"}
    run_segment(manifest, "shard00000", params, tmp_path / "l.npz", tmp_path / "s.parquet")
    assert calls == ["warm-up"] + ["image"] * 7
