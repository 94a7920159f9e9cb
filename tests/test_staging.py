import numpy as np
import pandas as pd
import pytest
from PIL import Image

from secam.annotations import Box
from secam.classes import imagenet_classes, load_class_list
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.staging import Sampling, clean_boxes, stage_dataset
from secam.table_columns import TABLES

from .conftest import PIL_DEFAULT_LIMIT, SAMPLE, SCHEMA_MAX_PIXELS, sample_image_path
from .ilsvrc_layouts import build_official_layout

KAGGLE_VAL = ("ILSVRC", "Data", "CLS-LOC", "val")


def _kaggle(root, **kwargs):
    return stage_dataset(
        root / "LOC_val_solution.csv",
        root.joinpath(*KAGGLE_VAL),
        synsets=root / "LOC_synset_mapping.txt",
        **kwargs,
    )


def test_embedded_sample_stages_completely():
    result = stage_dataset(SAMPLE / "LOC_val_solution.csv", SAMPLE / "images", shard_size=4)
    manifest = result.manifest
    assert list(manifest.columns) == list(TABLES["manifest"])
    assert len(manifest) == 6 and result.rejected.empty
    assert manifest["image_id"].is_monotonic_increasing
    assert manifest["shard"].tolist() == ["shard00000"] * 4 + ["shard00001"] * 2
    assert (manifest["offset"] == -1).all()
    grace = manifest.set_index("image_id").loc["grace_hopper"]
    assert grace["n_boxes"] == 2 and grace["label"] == "military uniform"
    assert grace["class_index"] == 652  # n03763968 in the standard order


@pytest.fixture(scope="module")
def kaggle_result(ilsvrc_sample):
    return _kaggle(ilsvrc_sample)


def test_ilsvrc_sample_boxes_lie_inside_their_images(kaggle_result):
    manifest = kaggle_result.manifest
    assert len(manifest) == 204 and kaggle_result.rejected.empty
    assert manifest["n_boxes"].sum() == 305
    for row in manifest.itertuples():
        for xmin, ymin, xmax, ymax in row.boxes:
            assert 0 <= xmin <= xmax < row.width and 0 <= ymin <= ymax < row.height
    for row in manifest.sample(20, random_state=0).itertuples():
        assert load_rgb(ImageSource.from_row(row)).shape[:2] == (row.height, row.width)
    greyscale = manifest[manifest["notes"].str.contains("greyscale image converted")]
    assert len(greyscale) == 5


def test_both_official_and_kaggle_layouts_give_the_same_manifest(
    ilsvrc_sample, kaggle_result, tmp_path
):
    official = build_official_layout(ilsvrc_sample, tmp_path / "official")
    same = [c for c in TABLES["manifest"] if c not in {"source", "offset"}]
    expected = kaggle_result.manifest[same]
    for boxes in (official["boxes"], official["xml"]):
        for synsets in (official["meta"], ilsvrc_sample / "LOC_synset_mapping.txt"):
            result = stage_dataset(boxes, official["images"], synsets=synsets)
            assert result.rejected.empty
            pd.testing.assert_frame_equal(result.manifest[same], expected)
            assert (result.manifest["offset"] > 0).all()
            assert result.manifest["source"].str.contains("ILSVRC2012_img_val.tar::").all()
    # images read straight from the tar decode to the same pixels as the files
    row = next(result.manifest.itertuples())
    folder = ilsvrc_sample.joinpath(*KAGGLE_VAL) / f"{row.image_id}.JPEG"
    assert np.array_equal(load_rgb(ImageSource.from_row(row)), load_rgb(folder))


def test_devkit_order_is_turned_into_the_standard_order(ilsvrc_sample, tmp_path):
    official = build_official_layout(ilsvrc_sample, tmp_path / "official")
    devkit = load_class_list(official["meta"])
    assert devkit.wnids == imagenet_classes().wnids
    assert devkit.labels == imagenet_classes().labels


def test_sampling_per_class_is_seeded(ilsvrc_sample):
    first = _kaggle(ilsvrc_sample, sampling=Sampling(per_class=1, seed=0)).manifest
    again = _kaggle(ilsvrc_sample, sampling=Sampling(per_class=1, seed=0)).manifest
    other = _kaggle(ilsvrc_sample, sampling=Sampling(per_class=1, seed=1)).manifest
    assert first["wnid"].is_unique
    assert first["image_id"].tolist() == again["image_id"].tolist()
    assert first["image_id"].tolist() != other["image_id"].tolist()
    assert set(first["wnid"]) == set(other["wnid"])


def test_sampling_by_classes_ids_and_the_paper_preset(ilsvrc_sample):
    paper = _kaggle(ilsvrc_sample, sampling=Sampling(preset="paper", image_ids=["x"])).manifest
    assert paper["image_id"].str[-3:].astype(int).tolist() == [18, 25, 73, 370, 414, 731, 929]
    both = _kaggle(ilsvrc_sample, sampling=Sampling(preset="paper", per_class=1)).manifest
    assert len(both) == both["wnid"].nunique() + 2  # the second vulture and coucal
    assert set(paper["image_id"]) <= set(both["image_id"])
    named = _kaggle(ilsvrc_sample, sampling=Sampling(classes=["vulture", "n01608432"])).manifest
    assert named["label"].str.split(",").str[0].tolist() == ["vulture", "vulture", "kite"]
    ids = _kaggle(
        ilsvrc_sample,
        sampling=Sampling(image_ids=["ILSVRC2012_val_00000003", "ILSVRC2012_val_99999999"]),
    )
    assert ids.manifest["image_id"].tolist() == ["ILSVRC2012_val_00000003"]
    assert "not annotated" in ids.rejected.iloc[0]["reason"]
    with pytest.raises(ValueError, match=r"dataset\.sample\.classes"):
        _kaggle(ilsvrc_sample, sampling=Sampling(classes=["unicorn"]))


def test_box_cleaning_clips_and_drops_with_notes():
    boxes = [
        Box("n1", -5, 10, 50, 60),  # clipped
        Box("n1", 40, 40, 30, 50),  # inverted
        Box("n1", 200, 10, 250, 20),  # outside
        Box("n1", 10, 10, 10, 40),  # one pixel wide: corners are inclusive
        Box("n1", 0, 0, 99, 79),  # fine
        Box("n1", 5, 7, 5, 7),  # one pixel
        Box("n1", 99, 70, 140, 70),  # clipped to the last column, one pixel high
        Box("n1", 100, 0, 120, 10),  # starts just right of the last column: outside
        Box("n1", 20, 31, 30, 30),  # inverted by one
    ]
    kept, notes = clean_boxes(boxes, width=100, height=80)
    assert [b.as_list() for b in kept] == [
        [0, 10, 50, 60],
        [10, 10, 10, 40],
        [0, 0, 99, 79],
        [5, 7, 5, 7],
        [99, 70, 99, 70],
    ]
    assert notes == [
        "box 1 [-5, 10, 50, 60] clipped to [0, 10, 50, 60]",
        "box 2 [40, 40, 30, 50] is inverted (xmax < xmin or ymax < ymin): dropped",
        "box 3 [200, 10, 250, 20] lies outside the image: dropped",
        "box 7 [99, 70, 140, 70] clipped to [99, 70, 99, 70]",
        "box 8 [100, 0, 120, 10] lies outside the image: dropped",
        "box 9 [20, 31, 30, 30] is inverted (xmax < xmin or ymax < ymin): dropped",
    ]


CAT = "n02123045"


def _bad_input_corpus(folder):
    """Every case of issue 4, beside good images; returns the annotation CSV."""
    images = folder / "images"
    images.mkdir()
    photo = Image.fromarray(load_rgb(next((SAMPLE / "images").glob("chelsea.*"))))
    rows = []

    def add(name, image=None, boxes=f"{CAT} 10 10 400 290", **save):
        if image is not None:
            image.save(images / name, **save)
        if boxes is not None:
            rows.append(f"{name.rsplit('.', 1)[0]},{boxes} ")

    add("good_a.JPEG", photo)
    add("good_b.JPEG", photo, boxes=f"{CAT} 10 10 400 290 {CAT} -20 -5 500 320")  # clipped
    add("png_named_jpeg.JPEG", photo, format="PNG")
    add("gif_named_jpeg.JPEG", photo.convert("P"), format="GIF")
    add("cmyk.JPEG", photo.convert("CMYK"), format="JPEG")
    add("grey.JPEG", photo.convert("L"), format="JPEG")
    deep = (np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    add("deep.png", Image.fromarray(deep))
    add("tiny.JPEG", Image.new("RGB", (1, 1)), boxes=f"{CAT} 0 0 0 0")
    add("huge.JPEG", Image.new("RGB", (1400, 1000)))
    add("outside_box.JPEG", photo, boxes=f"{CAT} 500 400 600 450")
    add("inverted_box.JPEG", photo, boxes=f"{CAT} 300 10 100 200")
    # inclusive corners: a box one pixel wide, and one pixel, are boxes; the inverted one is not
    one_pixel = f"{CAT} 100 10 100 200 {CAT} 7 9 7 9 {CAT} 300 10 100 200"
    add("one_pixel_boxes.JPEG", photo.rotate(180), boxes=one_pixel)
    add("unknown_wnid.JPEG", photo, boxes="n99999999 10 10 100 100")
    add("no_annotation.JPEG", photo, boxes=None)
    add("no_image.JPEG", None)
    add("good_a.JPEG", None, boxes=f"{CAT} 0 0 5 5")  # duplicated id
    (images / "empty.JPEG").write_bytes(b"")
    rows.append(f"empty,{CAT} 10 10 100 100 ")
    jpeg = (images / "good_a.JPEG").read_bytes()
    (images / "truncated.JPEG").write_bytes(jpeg[: len(jpeg) // 2])
    rows.append(f"truncated,{CAT} 10 10 100 100 ")
    # garbled in the middle: header and end marker intact, the entropy-coded data broken
    middle = len(jpeg) // 2
    corrupt = jpeg[:middle] + b"\xff" * 64 + jpeg[middle + 64 :]
    (images / "corrupt_middle.JPEG").write_bytes(corrupt)
    rows.append(f"corrupt_middle,{CAT} 10 10 100 100 ")
    csv = folder / "LOC_val_solution.csv"
    csv.write_text("ImageId,PredictionString\n" + "\n".join(rows) + "\n")
    return csv, images


def test_bad_input_corpus_gives_reasons_or_notes_and_keeps_every_good_image(tmp_path):
    csv, images = _bad_input_corpus(tmp_path)
    result = stage_dataset(csv, images, max_pixels=1_000_000)
    staged = result.manifest.set_index("image_id")
    assert sorted(staged.index) == [
        "cmyk",
        "deep",
        "gif_named_jpeg",
        "good_a",
        "good_b",
        "grey",
        "one_pixel_boxes",
        "png_named_jpeg",
    ]
    notes = staged["notes"]
    assert notes["good_a"] == ""
    assert "clipped to [0, 0, 450, 299]" in notes["good_b"]
    assert "byte-identical to image good_a" in notes["good_b"]  # the same photo, saved alike
    assert staged.loc["one_pixel_boxes", "boxes"] == [[100, 10, 100, 200], [7, 9, 7, 9]]
    assert notes["one_pixel_boxes"] == (
        "box 3 [300, 10, 100, 200] is inverted (xmax < xmin or ymax < ymin): dropped"
    )
    assert "PNG image despite its .JPEG name" in notes["png_named_jpeg"]
    assert "GIF image despite its .JPEG name" in notes["gif_named_jpeg"]
    assert "CMYK image converted to RGB" in notes["cmyk"]
    assert "greyscale image converted to RGB" in notes["grey"]
    assert "16-bit image rescaled" in notes["deep"]
    for row in result.manifest.itertuples():  # every staged image decodes to RGB
        image = load_rgb(ImageSource.from_row(row))
        assert image.shape == (row.height, row.width, 3) and image.dtype == np.uint8

    reasons = dict(zip(result.rejected["image_id"], result.rejected["reason"], strict=False))
    expected = {
        "empty": "empty (0 bytes)",
        "truncated": "truncated JPEG",
        "corrupt_middle": "cannot decode image",
        "tiny": "smaller than dataset.min_side",
        "huge": "decompression-bomb guard",
        "outside_box": "lies outside the image",
        "inverted_box": "inverted",
        "unknown_wnid": "unknown wnid 'n99999999'",
        "no_annotation": "image without annotation",
        "no_image": "annotation without image",
        "good_a": "duplicated image id",
    }
    assert set(reasons) == set(expected)
    for image_id, phrase in expected.items():
        assert phrase in reasons[image_id], (image_id, reasons[image_id])


@pytest.mark.parametrize("shard_size", [1, 1000])
def test_shard_sizes(shard_size):
    manifest = stage_dataset(
        SAMPLE / "LOC_val_solution.csv", SAMPLE / "images", shard_size=shard_size
    ).manifest
    assert manifest["shard"].nunique() == (6 if shard_size == 1 else 1)


def test_max_images_after_sampling():
    result = stage_dataset(
        SAMPLE / "LOC_val_solution.csv",
        SAMPLE / "images",
        sampling=Sampling(image_ids=["rocket", "coffee"], max_images=1),
    )
    assert result.manifest["image_id"].tolist() == ["coffee"]


def test_byte_identical_images_are_both_staged_with_a_note(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for path in (SAMPLE / "images").iterdir():
        (images / path.name).write_bytes(path.read_bytes())
    (images / "zz_chelsea_again.png").write_bytes((images / "chelsea.png").read_bytes())
    (images / "zz_coffee_again.png").write_bytes((images / "coffee.png").read_bytes())
    (images / "zz_chelsea_thrice.png").write_bytes((images / "chelsea.png").read_bytes())
    csv = tmp_path / "LOC_val_solution.csv"
    csv.write_text(
        (SAMPLE / "LOC_val_solution.csv").read_text().rstrip("\n")
        + f"\nzz_chelsea_again,{CAT} 20 20 300 250 "
        + "\nzz_coffee_again,n03063599 0 0 599 399 "
        + f"\nzz_chelsea_thrice,{CAT} 0 0 450 299 \n"
    )
    result = stage_dataset(csv, images)
    assert result.rejected.empty
    staged = result.manifest.set_index("image_id")
    assert len(staged) == 9  # nothing lost
    notes = staged["notes"]
    assert notes["zz_chelsea_again"] == "byte-identical to image chelsea (same SHA-256)"
    assert notes["zz_chelsea_thrice"] == "byte-identical to image chelsea (same SHA-256)"
    assert notes["zz_coffee_again"] == "byte-identical to image coffee (same SHA-256)"
    assert staged.loc["zz_chelsea_again", "boxes"] == [[20, 20, 300, 250]]  # its own row
    assert staged.loc["zz_chelsea_again", "sha256"] == staged.loc["chelsea", "sha256"]
    originals = staged.loc[~staged.index.str.startswith("zz_"), "notes"]
    assert not originals.str.contains("byte-identical").any()


def test_staging_rejects_the_bomb_by_its_size_and_keeps_the_rest(bomb, tmp_path):
    images = bomb.parent
    Image.open(sample_image_path("chelsea")).convert("RGB").save(images / "good.JPEG")
    # 9500x9500 = 90 250 000 pixels: above PIL's default limit, below dataset.max_pixels's
    # default, so it was refused before whatever max_pixels said; all black, 11 KB as 1-bit PNG
    Image.new("1", (9500, 9500)).save(images / "big.png")
    csv = tmp_path / "LOC_val_solution.csv"
    csv.write_text(
        "ImageId,PredictionString\n"
        f"bomb,{CAT} 10 10 40 30 \n"
        f"good,{CAT} 10 10 400 290 \n"
        f"big,{CAT} 100 100 9000 9000 \n"
    )
    result = stage_dataset(csv, images, max_pixels=SCHEMA_MAX_PIXELS)
    staged = result.manifest.set_index("image_id")
    assert sorted(staged.index) == ["big", "good"]
    assert (staged.loc["big", "width"], staged.loc["big", "height"]) == (9500, 9500)
    assert result.rejected["image_id"].tolist() == ["bomb"]
    size = f"image has 20000x20000 = 400000000 pixels, more than max_pixels = {SCHEMA_MAX_PIXELS}"
    assert size in result.rejected.iloc[0]["reason"]
    # a lower limit refuses the large image by its size, the others as before
    lower = stage_dataset(csv, images, max_pixels=90_000_000)
    assert lower.manifest["image_id"].tolist() == ["good"]
    reasons = dict(zip(lower.rejected["image_id"], lower.rejected["reason"], strict=True))
    assert "9500x9500 = 90250000 pixels, more than max_pixels = 90000000" in reasons["big"]
    assert "20000x20000" in reasons["bomb"]
    assert Image.MAX_IMAGE_PIXELS == PIL_DEFAULT_LIMIT
