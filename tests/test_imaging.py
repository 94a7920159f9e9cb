import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from secam.imaging import ImageReadError, check_decodes, load_rgb, read_header

from .conftest import PIL_DEFAULT_LIMIT, SCHEMA_MAX_PIXELS, sample_image_path


def _save(tmp_path: Path, name: str, image: Image.Image, **kwargs) -> Path:
    path = tmp_path / name
    image.save(path, **kwargs)
    return path


def test_real_photograph_decodes_to_rgb_uint8():
    image = load_rgb(sample_image_path("chelsea"))
    assert image.shape == (300, 451, 3)
    assert image.dtype == np.uint8


def test_header_gives_size_without_decoding():
    header = read_header(sample_image_path("coffee"))
    assert (header.width, header.height) == (600, 400)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK"])
def test_colour_modes_become_rgb(tmp_path, mode):
    rgb = Image.fromarray(load_rgb(sample_image_path("chelsea")))
    converted = rgb.convert(mode)
    fmt = "JPEG" if mode in {"L", "CMYK"} else "PNG"
    path = _save(tmp_path, f"image.{fmt.lower()}", converted, format=fmt)
    image = load_rgb(path)
    assert image.shape == (300, 451, 3)
    assert image.dtype == np.uint8
    # the picture survives the conversion: still correlated with the original luminance
    grey = np.asarray(rgb.convert("L"), dtype=float).ravel()
    assert np.corrcoef(grey, image.mean(axis=2).ravel())[0, 1] > 0.9


def test_16_bit_greyscale_is_rescaled(tmp_path):
    ramp = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)
    path = _save(tmp_path, "deep.png", Image.fromarray(ramp))
    image = load_rgb(path)
    assert image.dtype == np.uint8
    assert image[..., 0].max() == round(ramp.max() / 65535 * 255)
    assert np.all(image[..., 0] == image[..., 2])


def test_empty_and_truncated_files_are_refused(tmp_path):
    empty = tmp_path / "empty.JPEG"
    empty.write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        load_rgb(empty)
    data = sample_image_path("rocket").read_bytes()
    truncated = tmp_path / "truncated.JPEG"
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageReadError):
        load_rgb(truncated)
    missing = tmp_path / "missing.JPEG"
    with pytest.raises(ImageReadError, match="not found"):
        load_rgb(missing)
    text = tmp_path / "text.JPEG"
    text.write_text("ImageId,PredictionString\n")
    with pytest.raises(ImageReadError) as raised:
        load_rgb(text)
    # the reason for a person, the file's name beside it once
    assert raised.value.reason == "not a readable image (PIL recognises no image format)"
    assert str(raised.value) == f"{raised.value.reason}: {text}"


def test_pixel_limit_guards_against_decompression_bombs():
    with pytest.raises(ImageReadError, match="max_pixels"):
        read_header(sample_image_path("coffee"), max_pixels=1000)


# Issue 14: oversized images (decompression bombs) and dataset.max_pixels, from the header on.


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
