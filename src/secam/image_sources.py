"""Where an image's bytes live: a file, or a member of an uncompressed tar archive.

The official ``ILSVRC2012_img_val.tar`` holds 50 000 JPEGs; unpacking it is not needed. Its
members are indexed once (name, data offset, size) and every later read seeks straight to the
bytes, so a job that needs one shard never scans the archive.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
ARCHIVE_SEPARATOR = "::"


@dataclass(frozen=True)
class ImageSource:
    """``location`` is a file path, or ``<archive>::<member>`` with the member's data offset."""

    location: str
    offset: int = -1
    size: int = -1

    @property
    def in_archive(self) -> bool:
        return self.offset >= 0

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.location.split(ARCHIVE_SEPARATOR)[-1]).suffix

    @classmethod
    def from_row(cls, row: Any) -> ImageSource:
        """From a manifest row (``source``, ``offset``, ``size_bytes``)."""
        return cls(str(row.source), int(row.offset), int(row.size_bytes))

    def open(self) -> BinaryIO:
        """A binary stream of the image file's bytes."""
        if not self.in_archive:
            return open(self.location, "rb")
        archive = self.location.split(ARCHIVE_SEPARATOR)[0]
        with open(archive, "rb") as handle:
            handle.seek(self.offset)
            return io.BytesIO(handle.read(self.size))

    def exists(self) -> bool:
        path = Path(self.location.split(ARCHIVE_SEPARATOR)[0])
        return path.is_file()

    def byte_size(self) -> int:
        return self.size if self.in_archive else Path(self.location).stat().st_size

    def __str__(self) -> str:
        return self.location


def _image_id(name: str) -> str | None:
    path = PurePosixPath(name)
    return path.stem if path.suffix.lower() in IMAGE_SUFFIXES else None


def index_folder(folder: Path) -> dict[str, ImageSource]:
    found: dict[str, ImageSource] = {}
    for path in sorted(folder.iterdir()):
        image_id = _image_id(path.name) if path.is_file() else None
        if image_id is not None:
            found.setdefault(image_id, ImageSource(str(path)))
    return found


def index_tar(archive: Path) -> dict[str, ImageSource]:
    """Members of an uncompressed tar, by image id, with their data offsets."""
    found: dict[str, ImageSource] = {}
    with tarfile.open(archive, mode="r:") as tar:
        for member in tar:
            image_id = _image_id(member.name) if member.isfile() else None
            if image_id is not None and image_id not in found:
                location = f"{archive}{ARCHIVE_SEPARATOR}{member.name}"
                found[image_id] = ImageSource(location, member.offset_data, member.size)
    return found


def index_images(path: str | Path) -> dict[str, ImageSource]:
    """Images of a folder or of an uncompressed tar archive, by image id (file stem)."""
    path = Path(path)
    if path.is_dir():
        return index_folder(path)
    if path.is_file() and tarfile.is_tarfile(path):
        try:
            return index_tar(path)
        except tarfile.ReadError as error:
            raise ValueError(
                f"dataset.images: {path} is a compressed tar; images are read "
                "straight from an uncompressed one (like ILSVRC2012_img_val.tar)"
            ) from error
    raise FileNotFoundError(f"dataset.images: no folder or tar archive at {path}")
