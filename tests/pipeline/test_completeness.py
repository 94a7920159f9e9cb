"""collect checks that the shards hold what the manifest calls for (pipeline.completeness)."""

import pandas as pd
import pytest

from secam.pipeline.common import lime_subset
from secam.pipeline.completeness import (
    IncompleteResultsError,
    check_complete,
    expected_explanations,
)

IDS = [f"ILSVRC2012_val_{i:08d}" for i in range(1, 21)]
MANIFEST = pd.DataFrame({"image_id": IDS, "shard": [f"shard{i // 10:05d}" for i in range(20)]})


def _predictions(model: str, head_path: str) -> pd.DataFrame:
    return pd.DataFrame({"model": model, "image_id": IDS, "head_path": head_path})


def test_expected_explanations_follow_lime_subset_and_head():
    predictions = pd.concat([_predictions("lite0", "cam"), _predictions("vgg16", "gradient")])
    expected = expected_explanations(
        MANIFEST, predictions, ["lite0", "vgg16"], ["secam", "cam", "lime"], 5, 0
    )
    count = expected.groupby(["model", "method"]).size().to_dict()
    # CAM exists only on a global-average-pooling head; LIME runs on its seeded 5
    assert count == {
        ("lite0", "cam"): 20,
        ("lite0", "lime"): 5,
        ("lite0", "secam"): 20,
        ("vgg16", "lime"): 5,
        ("vgg16", "secam"): 20,
    }
    lime = expected[expected["method"] == "lime"]
    assert set(lime["image_id"]) == lime_subset(IDS, 5, 0)
    shards = MANIFEST.set_index("image_id")["shard"]
    assert (expected["shard"] == expected["image_id"].map(shards)).all()


def test_an_image_without_prediction_is_named():
    predictions = _predictions("lite0", "cam").iloc[:-1]
    with pytest.raises(IncompleteResultsError, match=f"lite0/{IDS[-1]}"):
        expected_explanations(MANIFEST, predictions, ["lite0"], ["secam"], None, 0)


def test_a_partial_shard_and_a_stranger_are_listed_with_their_files():
    expected = expected_explanations(
        MANIFEST, _predictions("lite0", "cam"), ["lite0"], ["secam"], None, 0
    )
    shard0 = "results/metrics/lite0/secam/shard00000.parquet"
    shard1 = "results/metrics/lite0/secam/shard00001.parquet"
    # shard00000 replaced by a file holding 3 of its 10 images, plus an image of another run
    kept = IDS[:3] + IDS[10:]
    metrics = pd.DataFrame({"model": "lite0", "method": "secam", "image_id": [*kept, "stranger"]})
    sources = pd.Series([shard0] * 3 + [shard1] * 10 + [shard0])
    with pytest.raises(IncompleteResultsError) as raised:
        check_complete({"metrics": metrics}, {"metrics": sources}, expected)
    message = str(raised.value)
    missing = ", ".join(IDS[3:10])
    assert f"metrics lite0/secam/shard00000: 7 image(s) missing: {missing} (file: {shard0})" in (
        message
    )
    assert "metrics lite0/secam/unknown shard: 1 image(s) extra: stranger" in message
    assert "shard00001" not in message
    # the complete set passes
    complete = pd.DataFrame({"model": "lite0", "method": "secam", "image_id": IDS})
    check_complete({"metrics": complete}, {"metrics": pd.Series([shard0] * 20)}, expected)
