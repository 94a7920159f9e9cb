"""The stage stage: the manifest and the rejected table of a folder of images, and a clear stop
when nothing in it can be used."""

import hashlib
import shutil

import pytest
from PIL import Image

from secam.artifacts import read_table
from secam.pipeline.stage import SHOWN_REASONS, NoUsableImagesError, run_stage

from ..conftest import sample_image_path
from .conftest import stage_config

CAT, ESPRESSO, CHINA_CABINET = "n02123045", "n07920052", "n03877845"


def _dataset(tmp_path, rows, **options):
    csv = tmp_path / "LOC_val_solution.csv"
    csv.write_text("ImageId,PredictionString\n" + "".join(f"{row} \n" for row in rows))
    dataset = {"annotations": str(csv), "images": str(tmp_path / "images"), **options}
    return stage_config(methods=["secam"], dataset=dataset)["dataset"]


def _boxes(cell):
    return [[int(value) for value in box] for box in cell]


def _copy(name, images):
    source = sample_image_path(name)
    return shutil.copy(source, images / source.name)


def test_good_images_are_staged_and_bad_ones_rejected_with_a_reason(tmp_path, capsys):
    images = tmp_path / "images"
    images.mkdir()
    chelsea, coffee, china = (_copy(name, images) for name in ("chelsea", "coffee", "china"))
    # a JPEG garbled in the middle: its header and end marker are intact, its data is not
    Image.open(chelsea).convert("RGB").save(images / "garbled.JPEG", quality=90)
    jpeg = (images / "garbled.JPEG").read_bytes()
    middle = len(jpeg) // 2
    (images / "garbled.JPEG").write_bytes(jpeg[:middle] + b"\xff" * 64 + jpeg[middle + 64 :])
    dataset = _dataset(
        tmp_path,
        [
            f"chelsea,{CAT} 0 0 415 299",
            f"coffee,{ESPRESSO} 174 17 700 312",  # past the right edge: clipped
            f"china,{CHINA_CABINET} 700 500 800 600",  # the image is 640 x 427: outside
            f"garbled,{CAT} 10 10 100 100",
        ],
        shard_size=1,
    )
    manifest_path, rejected_path = tmp_path / "manifest.parquet", tmp_path / "rejected.parquet"
    run_stage(dataset, manifest_path, rejected_path)
    assert capsys.readouterr().out == "staged 2 images, rejected 2 items\n"

    manifest = read_table(manifest_path, "manifest").set_index("image_id")
    assert manifest.index.tolist() == ["chelsea", "coffee"]
    assert manifest["shard"].tolist() == ["shard00000", "shard00001"]  # dataset.shard_size: 1
    assert manifest["class_index"].tolist() == [281, 967]
    assert manifest["label"].tolist() == ["tabby, tabby cat", "espresso"]
    assert manifest[["width", "height"]].values.tolist() == [[451, 300], [600, 400]]
    assert _boxes(manifest.loc["chelsea", "boxes"]) == [[0, 0, 415, 299]]
    assert _boxes(manifest.loc["coffee", "boxes"]) == [[174, 17, 599, 312]]
    assert manifest.loc["chelsea", "notes"] == ""
    assert "clipped to [174, 17, 599, 312]" in manifest.loc["coffee", "notes"]
    for image_id, path in (("chelsea", chelsea), ("coffee", coffee)):
        assert manifest.loc[image_id, "source"] == str(path)
        assert manifest.loc[image_id, "sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    rejected = read_table(rejected_path, "rejected").set_index("image_id")
    assert rejected.index.tolist() == ["china", "garbled"]
    assert rejected.loc["china", "path"] == str(china)
    assert "box 1 [700, 500, 800, 600] lies outside the image" in rejected.loc["china", "reason"]
    assert rejected.loc["garbled", "path"] == str(images / "garbled.JPEG")
    assert "cannot decode image" in rejected.loc["garbled", "reason"]


def test_nothing_usable_stops_with_the_reasons_counted(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "stray.png").write_bytes(b"")  # an image without annotation
    rows = [f"missing{i},{CAT} 0 0 5 5" for i in range(3)]  # annotations without image
    for i in range(SHOWN_REASONS + 1):  # eleven different unknown classes
        (images / f"odd{i:02d}.png").write_bytes(b"")
        rows.append(f"odd{i:02d},n999999{i:02d} 0 0 5 5")
    dataset = _dataset(tmp_path, rows)
    manifest_path, rejected_path = tmp_path / "manifest.parquet", tmp_path / "rejected.parquet"
    with pytest.raises(NoUsableImagesError) as raised:
        run_stage(dataset, manifest_path, rejected_path)
    lines = str(raised.value).splitlines()
    assert lines[0] == (
        f"no usable image in dataset.images = {images}, dataset.annotations = "
        f"{tmp_path / 'LOC_val_solution.csv'}: all 15 items were rejected:"
    )
    # the most frequent reason first, then ten in all, then how many more
    assert lines[1] == "  3 x annotation without image: no file named after the id"
    assert len(lines) == 1 + SHOWN_REASONS + 1
    unknown = "  1 x unknown wnid 'n999999{:02d}': not in the 1000-class list"
    singles = {unknown.format(i) for i in range(11)} | {"  1 x image without annotation"}
    assert set(lines[2:-1]) < singles and len(set(lines[2:-1])) == SHOWN_REASONS - 1
    assert lines[-1] == "  ... and 3 other reasons"
    assert not manifest_path.exists() and not rejected_path.exists()


def test_a_sample_that_selects_nothing_says_so(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    _copy("chelsea", images)
    dataset = _dataset(tmp_path, [f"chelsea,{CAT} 0 0 415 299"], sample={"classes": ["goldfish"]})
    with pytest.raises(NoUsableImagesError, match=r"nothing was selected from dataset\.images"):
        run_stage(dataset, tmp_path / "manifest.parquet", tmp_path / "rejected.parquet")
