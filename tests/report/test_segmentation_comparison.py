import numpy as np
import pandas as pd
import pytest

from secam.artifacts import write_arrays
from secam.report.segmentation_comparison import (
    agreement_rows,
    comparison_table,
    explained_images,
    load_masks,
    mask_agreement,
)


def test_mask_agreement_is_the_iou_of_the_two_masks():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[:, :6] = True  # 60 pixels
    b[:, 4:] = True  # 60 pixels, 20 shared
    assert mask_agreement(a, b) == pytest.approx(20 / 100)
    assert mask_agreement(a, a) == 1.0
    assert mask_agreement(a & False, b & False) == 1.0


def test_comparison_table_reports_counts_metrics_and_agreement(tmp_path):
    full = np.ones((4, 4), bool)
    half = np.zeros((4, 4), bool)
    half[:, :2] = True
    # what a file holds comes from its key, never from its path
    main = tmp_path / "a.npz"
    compared = tmp_path / "b.npz"
    write_arrays(main, {"i1/top2": full, "i2/top2": half})
    write_arrays(compared, {"i1/top2": half, "i2/top2": half, "i3/top2": full})
    files = {
        ("felzenszwalb", "m", "secam", "shard00000"): compared,
        ("slic", "m", "secam", "shard00000"): main,
    }
    agreement = agreement_rows(files, "slic")
    assert agreement["image_id"].tolist() == ["i1", "i2"]  # i3 has no main-run counterpart
    assert agreement["agreement"].tolist() == [0.5, 1.0]
    assert set(agreement["algorithm"]) == {"felzenszwalb"}
    assert set(agreement["model"]) == {"m"} and set(agreement["method"]) == {"secam"}
    assert explained_images(files) == {
        ("felzenszwalb", "m", "secam"): {"i1", "i2", "i3"},
        ("slic", "m", "secam"): {"i1", "i2"},
    }
    shown = load_masks(files, ["i2"])
    assert sorted(shown) == [("felzenszwalb", "m", "secam"), ("slic", "m", "secam")]
    assert list(shown[("slic", "m", "secam")]) == ["i2/top2"]

    metrics = pd.DataFrame(
        {
            "algorithm": ["slic", "slic", "felzenszwalb", "felzenszwalb"],
            "model": "m",
            "method": "secam",
            "selection": "top2",
            "image_id": ["i1", "i2", "i1", "i2"],
            "box_iou": [0.2, 0.4, 0.6, 0.8],
            "ebpg": [1.0, 0.5, 0.5, 0.5],
            "mask_iou": 0.3,
            "area": [1.0, 0.5, 0.5, 0.5],
        }
    )
    counts = pd.DataFrame(
        {
            "image_id": ["i1", "i2", "i1", "i2"],
            "n_regions": [40, 50, 30, 36],
            "algorithm": ["slic", "slic", "felzenszwalb", "felzenszwalb"],
        }
    )
    table = comparison_table(metrics, counts, agreement, resamples=200).set_index("algorithm")
    assert list(table.index) == ["slic", "felzenszwalb"]  # the main algorithm first
    assert (
        table.loc["slic", "regions_mean"] == 45
        and table.loc["felzenszwalb", "regions_median"] == 33
    )
    assert table.loc["slic", "box_iou"] == pytest.approx(0.3)
    assert table.loc["felzenszwalb", "box_iou"] == pytest.approx(0.7)
    assert np.isnan(table.loc["slic", "agreement"])
    assert table.loc["felzenszwalb", "agreement"] == pytest.approx(0.75)
    assert (
        table.loc["felzenszwalb", "agreement_low"]
        <= 0.75
        <= table.loc["felzenszwalb", "agreement_high"]
    )
