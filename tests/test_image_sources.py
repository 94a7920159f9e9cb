"""Where an image's bytes live: a plain file, or a member of an uncompressed tar read by offset."""

import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secam.image_sources import ImageSource, index_folder, index_images, index_tar
from secam.imaging import load_rgb

from .conftest import sample_image_path

CHELSEA = sample_image_path("chelsea")
CHINA = sample_image_path("china")


@pytest.fixture
def archive(tmp_path) -> Path:
    """An uncompressed tar: two sample images under a folder, a text file and a directory."""
    path = tmp_path / "images.tar"
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    with tarfile.open(path, "w") as tar:
        tar.add(notes, arcname="val/notes.txt")
        tar.add(CHELSEA, arcname="val/chelsea.png")
        tar.add(CHINA, arcname="val/china.jpg")
        tar.add(CHELSEA, arcname="again/chelsea.png")  # the same id twice: the first stays
        directory = tarfile.TarInfo("val/coffee.png")  # a directory with an image's name
        directory.type = tarfile.DIRTYPE
        tar.addfile(directory)
    return path


def test_a_plain_file(tmp_path):
    source = ImageSource(str(CHELSEA))
    assert not source.in_archive and source.offset == -1 and source.size == -1
    assert source.suffix == ".png"
    assert source.exists()
    assert source.byte_size() == CHELSEA.stat().st_size
    assert str(source) == str(CHELSEA)
    with source.open() as stream:
        assert stream.read() == CHELSEA.read_bytes()
    assert not ImageSource(str(tmp_path / "gone.png")).exists()


def test_tar_members_are_indexed_by_id_with_their_offsets(archive):
    index = index_tar(archive)
    assert sorted(index) == ["chelsea", "china"]
    for image_id, original in (("chelsea", CHELSEA), ("china", CHINA)):
        source = index[image_id]
        assert source.in_archive
        assert source.location == f"{archive}::val/{original.name}"
        assert source.size == source.byte_size() == original.stat().st_size
        assert source.offset % 512 == 0  # tar data starts on a block boundary
        assert source.suffix == original.suffix
        assert source.exists()
        with source.open() as stream:
            assert stream.read() == original.read_bytes()
    # the offset is where the member's bytes really are
    data = archive.read_bytes()
    chelsea = index["chelsea"]
    assert data[chelsea.offset : chelsea.offset + chelsea.size] == CHELSEA.read_bytes()


def test_a_member_decodes_like_its_file(archive):
    assert np.array_equal(load_rgb(index_tar(archive)["china"]), load_rgb(CHINA))


def test_a_member_exists_while_its_archive_does(archive):
    source = index_tar(archive)["chelsea"]
    archive.unlink()
    assert not source.exists()


def test_from_row_round_trip(archive):
    sources = [ImageSource(str(CHELSEA)), index_tar(archive)["china"]]
    manifest = pd.DataFrame(
        {
            "source": [s.location for s in sources],
            "offset": [s.offset for s in sources],
            "size_bytes": [s.size if s.in_archive else s.byte_size() for s in sources],
        }
    )
    rows = list(manifest.itertuples())
    assert ImageSource.from_row(rows[1]) == sources[1]
    plain = ImageSource.from_row(manifest.iloc[0])  # a Series works as well
    assert plain.location == sources[0].location and not plain.in_archive
    assert plain.size == CHELSEA.stat().st_size
    for row, original in zip(rows, (CHELSEA, CHINA), strict=True):
        with ImageSource.from_row(row).open() as stream:
            assert stream.read() == original.read_bytes()
    # numpy integers from the table become plain ints
    assert [type(v) for v in (plain.offset, plain.size)] == [int, int]


def test_folder_index_keeps_images_only_and_the_first_of_a_stem(tmp_path):
    (tmp_path / "b.png").write_bytes(CHELSEA.read_bytes())
    (tmp_path / "a.JPEG").write_bytes(CHINA.read_bytes())
    (tmp_path / "a.png").write_bytes(CHELSEA.read_bytes())  # sorts after a.JPEG
    (tmp_path / "readme.txt").write_text("no image")
    (tmp_path / "c.jpg").mkdir()  # a folder with an image's name
    index = index_folder(tmp_path)
    assert sorted(index) == ["a", "b"]
    assert index["a"] == ImageSource(str(tmp_path / "a.JPEG"))
    assert index_images(tmp_path) == index


def test_index_images_reads_a_folder_or_an_uncompressed_tar(tmp_path, archive):
    assert index_images(archive) == index_tar(archive)
    assert index_images(str(archive)).keys() == {"chelsea", "china"}


def test_a_compressed_tar_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "images.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(CHELSEA, arcname="chelsea.png")
    with pytest.raises(ValueError, match="is a compressed tar; images are read straight"):
        index_images(path)


def test_neither_folder_nor_tar_is_refused(tmp_path):
    not_tar = tmp_path / "images.zip"
    not_tar.write_bytes(b"PK\x03\x04 not a tar")
    for path in (not_tar, tmp_path / "missing"):
        with pytest.raises(FileNotFoundError, match=r"dataset\.images: no folder or tar archive"):
            index_images(path)
