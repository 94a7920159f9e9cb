"""Issue 14: oversized images (decompression bombs) and dataset.max_pixels, from the header on."""

import pickle
from pathlib import Path

import pytest
from PIL import Image

from secam.config import load_schema
from secam.imaging import ImageReadError, check_decodes, load_rgb, read_header
from secam.staging import stage_dataset

from .conftest import sample_image_path

CAT = "n02123045"
SCHEMA_MAX_PIXELS = load_schema()["properties"]["dataset"]["properties"]["max_pixels"]["default"]
PIL_DEFAULT_LIMIT = Image.MAX_IMAGE_PIXELS  # 89478485 unless something changed it already


def jpeg_claiming_size(path: Path, width: int, height: int) -> Path:
    """A small real JPEG whose SOF header is patched to say ``width`` x ``height``: what PIL sees
    of a decompression bomb, without encoding (or decoding) one."""
    thumbnail = Image.open(sample_image_path("chelsea")).convert("RGB").resize((64, 48))
    thumbnail.save(path, format="JPEG")
    data = bytearray(path.read_bytes())
    position = 2  # after the start-of-image marker, walk the segments up to the frame header
    while data[position + 1] not in (0xC0, 0xC1, 0xC2):
        assert data[position] == 0xFF, "not at a JPEG marker"
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    # SOFn: marker (2 bytes), length (2), precision (1), height (2), width (2)
    data[position + 5 : position + 7] = height.to_bytes(2, "big")
    data[position + 7 : position + 9] = width.to_bytes(2, "big")
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def bomb(tmp_path, monkeypatch) -> Path:
    path = jpeg_claiming_size(tmp_path / "bomb.JPEG", 20000, 20000)
    with pytest.raises(Image.DecompressionBombError):  # PIL's default: the crash of issue 14
        Image.open(path)
    with monkeypatch.context() as patched:
        patched.setattr(Image, "MAX_IMAGE_PIXELS", None)
        with Image.open(path) as opened:
            assert opened.size == (20000, 20000)
    assert Image.MAX_IMAGE_PIXELS == PIL_DEFAULT_LIMIT
    return path


def test_bomb_is_an_image_read_error_with_its_size_before_any_decode(bomb):
    size = f"image has 20000x20000 = 400000000 pixels, more than max_pixels = {SCHEMA_MAX_PIXELS}"
    with pytest.raises(ImageReadError, match=size) as raised:
        read_header(bomb, SCHEMA_MAX_PIXELS)
    assert raised.value.source == str(bomb) and str(bomb) not in raised.value.reason
    copy = pickle.loads(pickle.dumps(raised.value))  # survives a trip between processes
    assert (copy.reason, copy.source, str(copy)) == (
        raised.value.reason,
        raised.value.source,
        str(raised.value),
    )
    with pytest.raises(ImageReadError, match=size):
        load_rgb(bomb, SCHEMA_MAX_PIXELS)
    # max_pixels=None is no limit: PIL's own check does not fire while the header is read
    header = read_header(bomb, None)
    assert (header.width, header.height, header.format) == (20000, 20000, "JPEG")
    assert Image.MAX_IMAGE_PIXELS == PIL_DEFAULT_LIMIT


@pytest.mark.parametrize("max_pixels", [1000, 600 * 400 - 1])  # PIL's error, PIL's warning
def test_decoding_is_bounded_by_max_pixels_too(max_pixels):
    coffee = sample_image_path("coffee")  # 600x400
    with pytest.raises(ImageReadError, match=f"more than max_pixels = {max_pixels} pixels: PIL"):
        check_decodes(coffee, max_pixels)  # no header check first: PIL's limit is max_pixels
    assert Image.MAX_IMAGE_PIXELS == PIL_DEFAULT_LIMIT
    with pytest.raises(ImageReadError, match=r"600x400 = 240000 pixels, more than max_pixels"):
        load_rgb(coffee, max_pixels)
    check_decodes(coffee, 600 * 400)
    assert load_rgb(coffee, 600 * 400).shape == (400, 600, 3)
    assert Image.MAX_IMAGE_PIXELS == PIL_DEFAULT_LIMIT


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
