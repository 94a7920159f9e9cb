"""The ImageNet-1k class list: wnid <-> class index <-> human label."""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from secam.errors import InputError


@dataclass(frozen=True)
class ClassList:
    """Classes in model output order (line i of LOC_synset_mapping.txt is class index i)."""

    wnids: tuple[str, ...]
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.wnids)

    def index(self, wnid: str) -> int:
        try:
            return self._positions()[wnid]
        except KeyError:
            raise KeyError(f"unknown wnid {wnid!r}: not in the {len(self)}-class list") from None

    def find(self, text: str) -> int:
        """A class given as an index, a wnid or a label (any of its comma-separated synonyms)."""
        text = str(text).strip()
        if text.isdigit():
            index = int(text)
            if index >= len(self):
                raise InputError(f"class index {index} out of range (0..{len(self) - 1})")
            return index
        if re.fullmatch(r"n\d{8}", text):
            if text not in self._positions():
                raise InputError(f"unknown wnid {text!r}: not in the {len(self)}-class list")
            return self.index(text)
        wanted = text.lower()
        for index, label in enumerate(self.labels):
            if wanted in (name.strip().lower() for name in label.split(",")):
                return index
        raise InputError(
            f"unknown class {text!r}: give an index, a wnid or a label of the {len(self)} classes"
        )

    @classmethod
    def from_names(cls, names: Sequence[str]) -> ClassList:
        """A model's own classes, one name each in output order (the name is its id and label)."""
        names = tuple(str(name).strip() for name in names)
        if not names or not all(names):
            raise InputError("a class list needs at least one class and no empty names")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InputError(f"class names appear twice: {', '.join(duplicates)}")
        return cls(names, names)

    def matching(self, wnid: str, label: str) -> int | None:
        """This list's index of a dataset class (its wnid, else any synonym of its label);
        None when the list does not hold it. Lets a model with its own classes be compared
        with ImageNet's ground truth."""
        positions = self._positions()
        if wnid in positions:
            return positions[wnid]
        synonyms = {name.strip().lower() for name in label.split(",")}
        for index, own in enumerate(self.labels):
            if synonyms & {name.strip().lower() for name in own.split(",")}:
                return index
        return None

    def short_label(self, index: int) -> str:
        """The first synonym of a label ('tabby, tabby cat' -> 'tabby')."""
        return self.labels[index].split(",")[0].strip()

    def _positions(self) -> dict[str, int]:
        return _positions(self.wnids)


@cache
def _positions(wnids: tuple[str, ...]) -> dict[str, int]:
    return {wnid: i for i, wnid in enumerate(wnids)}


def parse_synset_mapping(text: str) -> ClassList:
    wnids, labels = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        wnid, _, label = line.strip().partition(" ")
        if not wnid.startswith("n") or not label:
            raise InputError(f"synset mapping line {number} is not 'wnid label': {line!r}")
        wnids.append(wnid)
        labels.append(label.strip())
    return ClassList(tuple(wnids), tuple(labels))


def parse_devkit_meta(data: bytes) -> ClassList:
    """The 1000 leaf synsets of the devkit's ``meta.mat``, in the standard (sorted wnid) order.

    The devkit numbers classes by ILSVRC2012_ID, which is not the order models use; every
    released ImageNet-1k classifier orders its outputs by sorted wnid, as LOC_synset_mapping does.
    """
    from scipy.io import loadmat

    synsets = loadmat(io.BytesIO(data), squeeze_me=True)["synsets"]
    leaves = [s for s in synsets if int(s["num_children"]) == 0]
    pairs = sorted((str(s["WNID"]), str(s["words"])) for s in leaves)
    return ClassList(tuple(w for w, _ in pairs), tuple(label for _, label in pairs))


def _devkit_meta_bytes(path: Path) -> bytes:
    if path.suffix == ".mat":
        return path.read_bytes()
    with tarfile.open(path) as archive:
        for member in archive:
            if member.name.endswith("data/meta.mat"):
                handle = archive.extractfile(member)
                if handle is not None:
                    return handle.read()
    raise InputError(f"{path}: no data/meta.mat inside this devkit archive")


def load_class_names(path: str | Path) -> ClassList:
    """A model's classes from a text file, line i naming output i: ``wnid label`` lines (as in
    LOC_synset_mapping.txt, so the classes match the dataset's) or one plain name per line."""
    if not Path(path).is_file():
        raise InputError(f"class names file {path}: not a file")
    lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    if lines and all(re.fullmatch(r"n\d{8} .+", line) for line in lines):
        return parse_synset_mapping("\n".join(lines))
    try:
        return ClassList.from_names(lines)
    except ValueError as error:
        raise InputError(f"class names file {path}: {error}") from None


def load_class_list(path: str | Path | None = None) -> ClassList:
    """The class list from a ``LOC_synset_mapping.txt``, the devkit (``meta.mat`` or
    ``ILSVRC2012_devkit_t12.tar.gz``), or ``None``: the standard list shipped with the library."""
    if path is None:
        text = resources.files("secam").joinpath("resources", "imagenet_synsets.txt").read_text()
        return parse_synset_mapping(text)
    path = Path(path)
    if path.suffix == ".mat" or path.name.endswith((".tar.gz", ".tgz", ".tar")):
        return parse_devkit_meta(_devkit_meta_bytes(path))
    return parse_synset_mapping(path.read_text())


@cache
def imagenet_classes() -> ClassList:
    return load_class_list(None)


def predicted_label(classes: ClassList, index: int) -> str:
    """A prediction's short label; -1 (a model's own class outside this list) reads "other"."""
    return "other" if index < 0 else classes.short_label(index)
