"""Reading images robustly: every image becomes an 8-bit RGB array, or a clear error."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from secam.sources import ImageSource

ImageLike = str | Path | ImageSource


class ImageReadError(ValueError):
    """An image that cannot be used; the message is meant for a person."""


@dataclass(frozen=True)
class ImageHeader:
    width: int
    height: int
    format: str
    mode: str


def _source(image: ImageLike) -> ImageSource:
    return image if isinstance(image, ImageSource) else ImageSource(str(image))


def _ends_cleanly(image_format: str, stream: BinaryIO) -> bool:
    """Whether the file ends with its format's end marker: catches truncated files cheaply."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(max(0, size - 4096))
    tail = stream.read()
    if image_format in {"JPEG", "MPO"}:
        # the end-of-image marker appears nowhere else in the last few KB of a complete file;
        # looking at the whole tail tolerates the padding some encoders append after it
        return b"\xff\xd9" in tail
    if image_format == "PNG":
        return b"IEND" in tail[-16:]
    if image_format == "GIF":
        return tail.rstrip(b"\x00").endswith(b";")
    return True


def read_header(image: ImageLike, max_pixels: int | None = None) -> ImageHeader:
    """Size, format and mode from the header, and a check of the end marker; no pixel decode."""
    source = _source(image)
    if not source.exists():
        raise ImageReadError(f"image file not found: {source}")
    if source.byte_size() == 0:
        raise ImageReadError(f"image file is empty (0 bytes): {source}")
    try:
        with source.open() as stream, Image.open(stream) as opened:
            header = ImageHeader(opened.width, opened.height, opened.format or "", opened.mode)
            complete = _ends_cleanly(header.format, stream)
    except UnidentifiedImageError as error:
        raise ImageReadError(f"not a readable image: {source} ({error})") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"cannot read image header: {source} ({error})") from error
    if not complete:
        raise ImageReadError(f"truncated {header.format} file (no end marker): {source}")
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


@contextmanager
def _decoded(source: ImageSource) -> Iterator[Image.Image]:
    """The image with every pixel decoded; any decoding failure as :class:`ImageReadError`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with source.open() as stream, Image.open(stream) as opened:
                opened.load()
                yield opened
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as error:
        raise ImageReadError(f"cannot decode image: {source} ({error})") from error


def check_decodes(image: ImageLike) -> None:
    """Decode every pixel once (no conversion, about 1.5 ms for an ILSVRC photograph), raising
    :class:`ImageReadError` where that fails.

    Meant for an image whose header :func:`read_header` has already accepted (size guard
    included), so the header is not read again. A file corrupted in the middle keeps a valid
    header and end marker: only decoding finds it, and staging does it so that such a file is
    rejected there rather than failing a later job.
    """
    with _decoded(_source(image)):
        pass


def load_rgb(image: ImageLike, max_pixels: int | None = None) -> np.ndarray:
    """Decode an image to a (H, W, 3) uint8 RGB array.

    Greyscale, palette, CMYK, alpha and 16-bit images are converted; a truncated or corrupt file
    raises :class:`ImageReadError`.
    """
    source = _source(image)
    read_header(source, max_pixels)
    with _decoded(source) as opened:
        return _to_uint8_rgb(opened)
