"""The ImageNet-1k class list: wnid <-> class index <-> human label."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


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
            raise ValueError(f"synset mapping line {number} is not 'wnid label': {line!r}")
        wnids.append(wnid)
        labels.append(label.strip())
    return ClassList(tuple(wnids), tuple(labels))


def load_class_list(path: str | Path | None = None) -> ClassList:
    """Read a LOC_synset_mapping.txt; ``None`` gives the standard list shipped with the library."""
    if path is None:
        text = resources.files("secam").joinpath("resources", "imagenet_synsets.txt").read_text()
    else:
        text = Path(path).read_text()
    return parse_synset_mapping(text)


@cache
def imagenet_classes() -> ClassList:
    return load_class_list(None)
