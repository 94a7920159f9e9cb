"""The embedded sample: the files are the packages' own, and the boxes fit the images."""

import hashlib
from pathlib import Path

import pytest

from secam.annotations import read_loc_solution
from secam.classes import imagenet_classes
from secam.imaging import read_header

from .conftest import SAMPLE


def _package_file(image_id: str) -> Path:
    if image_id == "grace_hopper":
        import matplotlib

        return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    if image_id == "china":
        import sklearn.datasets

        return Path(sklearn.datasets.__file__).parent / "images" / "china.jpg"
    import skimage.data

    folder = Path(skimage.data.__file__).parent
    return next(folder.glob(f"{image_id}.*"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


EXPECTED = {"chelsea", "china", "coffee", "grace_hopper", "motorcycle_left", "rocket"}


def test_six_images_with_annotations():
    parsed = read_loc_solution(SAMPLE / "LOC_val_solution.csv")
    assert set(parsed.annotations) == EXPECTED
    assert not parsed.duplicates
    files = {p.stem for p in (SAMPLE / "images").iterdir()}
    assert files == EXPECTED


@pytest.mark.parametrize("image_id", sorted(EXPECTED))
def test_image_is_byte_identical_to_its_package_copy(image_id):
    shipped = next((SAMPLE / "images").glob(f"{image_id}.*"))
    original = _package_file(image_id)
    if not original.is_file():
        pytest.skip(f"{original} is not installed here")
    assert _digest(shipped) == _digest(original)


def test_boxes_lie_inside_their_images_and_classes_exist():
    parsed = read_loc_solution(SAMPLE / "LOC_val_solution.csv")
    classes = imagenet_classes()
    for image_id, annotation in parsed.annotations.items():
        header = read_header(next((SAMPLE / "images").glob(f"{image_id}.*")))
        assert annotation.boxes and not annotation.problems
        for box in annotation.boxes:
            classes.index(box.wnid)
            assert 0 <= box.xmin < box.xmax <= header.width - 1
            assert 0 <= box.ymin < box.ymax <= header.height - 1
