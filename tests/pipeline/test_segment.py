"""The segment stage on real validation images: worker processes never change the labels."""

import numpy as np
import pandas as pd

from secam.artifacts import read_arrays, read_table
from secam.pipeline.segment import run_segment


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
