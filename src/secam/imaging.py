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

from secam.errors import SecamError
from secam.image_sources import ImageSource

ImageLike = str | Path | ImageSource


class ImageReadError(SecamError, ValueError):
    """An image that cannot be used; the message is meant for a person.

    ``reason`` is the message without the file's name, for callers that print the name
    themselves (``secam explain``); ``str(error)`` names both.
    """

    def __init__(self, reason: str, source: object = "") -> None:
        self.reason = reason
        self.source = str(source)
        super().__init__(f"{reason}: {self.source}" if self.source else reason)

    def __reduce__(self) -> tuple[type[ImageReadError], tuple[str, str]]:
        # rebuilt from both parts (the default would pass the joined message as the reason)
        return (type(self), (self.reason, self.source))


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


@contextmanager
def _pil_pixel_limit(limit: int | None) -> Iterator[None]:
    """Set PIL's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) inside the block only.

    PIL's limit is a process-global variable: while the block runs, every thread of the process
    sees it. The library reads images in one thread per process (pipeline jobs use processes),
    and the previous value is restored on the way out, error or not.
    """
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limit
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    return (
        f"image has {width}x{height} = {width * height} pixels, more than max_pixels = "
        f"{max_pixels} (decompression-bomb guard: dataset.max_pixels, or --max-pixels of "
        "secam explain)"
    )


def read_header(image: ImageLike, max_pixels: int | None = None) -> ImageHeader:
    """Size, format and mode from the header, and a check of the end marker; no pixel decode.

    An image of more than ``max_pixels`` pixels (None: no limit) raises :class:`ImageReadError`
    with its size.
    """
    source = _source(image)
    if not source.exists():
        raise ImageReadError("image file not found", source)
    if source.byte_size() == 0:
        raise ImageReadError("image file is empty (0 bytes)", source)
    try:
        # PIL's own bomb check off while only the header is read: ours below compares the size
        # with max_pixels and says so, where PIL's would fire at its default 89 Mpx (warning)
        # or 179 Mpx (DecompressionBombError) whatever max_pixels is.
        with _pil_pixel_limit(None), source.open() as stream, Image.open(stream) as opened:
            header = ImageHeader(opened.width, opened.height, opened.format or "", opened.mode)
            complete = _ends_cleanly(header.format, stream)
    except UnidentifiedImageError as error:
        # PIL's message only repeats the file's name
        raise ImageReadError(
            "not a readable image (PIL recognises no image format)", source
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"cannot read image header ({error})", source) from error
    if max_pixels is not None and header.width * header.height > max_pixels:
        raise ImageReadError(_too_many_pixels(header.width, header.height, max_pixels), source)
    if not complete:
        raise ImageReadError(f"truncated {header.format} file (no end marker)", source)
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
def _decoded(source: ImageSource, max_pixels: int | None) -> Iterator[Image.Image]:
    """The image with every pixel decoded; any decoding failure as :class:`ImageReadError`.

    PIL's limit is ``max_pixels`` meanwhile, its warning turned into an error: PIL itself
    refuses to decode anything larger, even where the header was not checked first.
    """
    try:
        with warnings.catch_warnings(), _pil_pixel_limit(max_pixels):
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with source.open() as stream, Image.open(stream) as opened:
                opened.load()
                yield opened
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageReadError(
            f"image of more than max_pixels = {max_pixels} pixels: PIL refused to decode it "
            f"({error})",
            source,
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"cannot decode image ({error})", source) from error


def check_decodes(image: ImageLike, max_pixels: int | None = None) -> None:
    """Decode every pixel once (no conversion: the cheapest full decode), raising
    :class:`ImageReadError` where that fails.

    Meant for an image whose header :func:`read_header` has already accepted (size guard
    included), so the header is not read again; ``max_pixels`` still bounds what PIL decodes.
    A file corrupted in the middle keeps a valid header and end marker: only decoding finds it,
    and staging does it so that such a file is rejected there rather than failing a later job.
    """
    with _decoded(_source(image), max_pixels):
        pass


def load_rgb(image: ImageLike, max_pixels: int | None = None) -> np.ndarray:
    """Decode an image to a (H, W, 3) uint8 RGB array.

    Greyscale, palette, CMYK, alpha and 16-bit images are converted; a missing, truncated or
    corrupt file, or one of more than ``max_pixels`` pixels (None: no limit, checked from the
    header before any decode), raises :class:`ImageReadError`.
    """
    source = _source(image)
    read_header(source, max_pixels)
    with _decoded(source, max_pixels) as opened:
        return _to_uint8_rgb(opened)
