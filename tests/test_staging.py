import numpy as np
import pandas as pd
import pytest
from PIL import Image

from secam.annotations import Box
from secam.artifacts import TABLES
from secam.imaging import load_rgb
from secam.staging import clean_boxes, stage_dataset

from .conftest import SAMPLE


def test_embedded_sample_stages_completely():
    result = stage_dataset(SAMPLE / "LOC_val_solution.csv", SAMPLE / "images", shard_size=4)
    manifest = result.manifest
    assert list(manifest.columns) == list(TABLES["manifest"])
    assert len(manifest) == 6 and result.rejected.empty
    assert manifest["image_id"].is_monotonic_increasing
    assert manifest["shard"].tolist() == ["shard00000"] * 4 + ["shard00001"] * 2
    grace = manifest.set_index("image_id").loc["grace_hopper"]
    assert grace["n_boxes"] == 2 and grace["label"] == "military uniform"
    assert grace["class_index"] == 652  # n03763968 in the standard order


def test_ilsvrc_sample_manifest_matches_the_images(ilsvrc_sample):
    result = stage_dataset(
        ilsvrc_sample / "LOC_val_solution.csv",
        ilsvrc_sample / "ILSVRC" / "Data" / "CLS-LOC" / "val",
        synsets=ilsvrc_sample / "LOC_synset_mapping.txt",
    )
    manifest = result.manifest
    assert len(manifest) == 204 and result.rejected.empty
    assert manifest["n_boxes"].sum() == 305
    for row in manifest.sample(20, random_state=0).itertuples():
        image = load_rgb(row.path)
        assert image.shape[:2] == (row.height, row.width)
        for xmin, ymin, xmax, ymax in row.boxes:
            assert 0 <= xmin <= xmax < row.width and 0 <= ymin <= ymax < row.height
    greyscale = manifest[manifest["notes"].str.contains("converted to RGB")]
    assert len(greyscale) == 5


def test_box_cleaning_clips_and_drops_with_notes():
    boxes = [
        Box("n1", -5, 10, 50, 60),  # clipped
        Box("n1", 40, 40, 30, 50),  # inverted
        Box("n1", 200, 10, 250, 20),  # outside
        Box("n1", 0, 0, 99, 79),  # fine
    ]
    kept, notes = clean_boxes(boxes, width=100, height=80)
    assert [b.as_list() for b in kept] == [[0, 10, 50, 60], [0, 0, 99, 79]]
    assert len(notes) == 3
    assert "clipped" in notes[0] and "inverted" in notes[1] and "outside" in notes[2]


def test_bad_items_become_rejected_rows_and_good_ones_stay(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    good = load_rgb(next((SAMPLE / "images").glob("chelsea.*")))
    for name in ["good", "inverted", "unknown", "orphan"]:
        Image.fromarray(good).save(images / f"{name}.JPEG")
    (images / "empty.JPEG").write_bytes(b"")
    jpeg = (images / "good.JPEG").read_bytes()
    (images / "truncated.JPEG").write_bytes(jpeg[: len(jpeg) // 3])
    Image.fromarray(good).save(images / "png_inside.JPEG", format="PNG")
    csv = tmp_path / "LOC_val_solution.csv"
    csv.write_text(
        "ImageId,PredictionString\n"
        "good,n02123045 10 10 400 290 n02123045 500 10 600 20 \n"
        "inverted,n02123045 300 10 100 200 \n"
        "unknown,n99999999 10 10 100 100 \n"
        "empty,n02123045 10 10 100 100 \n"
        "missing,n02123045 10 10 100 100 \n"
        "truncated,n02123045 10 10 100 100 \n"
        "png_inside,n02123045 10 10 100 100 \n"
        "good,n02123045 0 0 5 5 \n"
    )
    result = stage_dataset(csv, images)
    assert result.manifest["image_id"].tolist() == ["good", "png_inside"]
    assert "PNG image despite its .JPEG name" in result.manifest.iloc[1]["notes"]
    good_row = result.manifest.iloc[0]
    assert [list(b) for b in good_row["boxes"]] == [[10, 10, 400, 290]]
    assert "outside the image" in good_row["notes"]
    reasons = dict(zip(result.rejected["image_id"], result.rejected["reason"], strict=False))
    assert set(reasons) == {
        "good",
        "inverted",
        "unknown",
        "empty",
        "missing",
        "orphan",
        "truncated",
    }
    assert "cannot decode" in reasons["truncated"]
    assert "duplicated" in reasons["good"]
    assert "inverted" in reasons["inverted"]
    assert "unknown wnid" in reasons["unknown"]
    assert "empty" in reasons["empty"]
    assert "without image" in reasons["missing"]
    assert "without annotation" in reasons["orphan"]


def test_image_selection_and_limit():
    result = stage_dataset(
        SAMPLE / "LOC_val_solution.csv",
        SAMPLE / "images",
        image_ids=["rocket", "coffee", "nope"],
        max_images=1,
    )
    assert result.manifest["image_id"].tolist() == ["coffee"]
    assert "nope" in result.rejected["image_id"].tolist()


@pytest.mark.parametrize("shard_size", [1, 1000])
def test_shard_sizes(shard_size):
    manifest = stage_dataset(
        SAMPLE / "LOC_val_solution.csv", SAMPLE / "images", shard_size=shard_size
    ).manifest
    assert manifest["shard"].nunique() == (6 if shard_size == 1 else 1)
    assert isinstance(manifest, pd.DataFrame) and np.all(manifest["width"] > 0)
