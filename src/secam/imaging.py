"""Reading images robustly: every image becomes an 8-bit RGB array, or a clear error."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError


class ImageReadError(ValueError):
    """An image that cannot be used; the message is meant for a person."""


@dataclass(frozen=True)
class ImageHeader:
    width: int
    height: int
    format: str
    mode: str


def read_header(path: str | Path, max_pixels: int | None = None) -> ImageHeader:
    """Size, format and mode from the file header, without decoding the pixels."""
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"image file not found: {path}")
    if path.stat().st_size == 0:
        raise ImageReadError(f"image file is empty (0 bytes): {path}")
    try:
        with Image.open(path) as image:
            header = ImageHeader(image.width, image.height, image.format or "", image.mode)
    except UnidentifiedImageError as error:
        raise ImageReadError(f"not a readable image: {path} ({error})") from error
    except OSError as error:
        raise ImageReadError(f"cannot read image header: {path} ({error})") from error
    if max_pixels is not None and header.width * header.height > max_pixels:
        raise ImageReadError(
            f"image has {header.width}x{header.height} = {header.width * header.height} pixels, "
            f"more than dataset.max_pixels = {max_pixels} (decompression-bomb guard)"
        )
    return header


def _to_uint8_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in {"I;16", "I;16B", "I;16L", "I"}:
        # 16-bit and 32-bit integer greyscale: rescale the full range to 8 bits.
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") else max(float(array.max()), 1.0)
        grey = np.clip(np.round(array / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if image.mode != "RGB":
        # Palette, greyscale, CMYK, RGBA, LA...: PIL's conversion (alpha dropped on black).
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def load_rgb(path: str | Path, max_pixels: int | None = None) -> np.ndarray:
    """Decode an image file to a (H, W, 3) uint8 RGB array.

    Greyscale, palette, CMYK, alpha and 16-bit images are converted; a truncated or corrupt file
    raises :class:`ImageReadError`.
    """
    read_header(path, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return _to_uint8_rgb(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as error:
        raise ImageReadError(f"cannot decode image: {path} ({error})") from error
