"""Readers for ground-truth boxes: the Kaggle ``LOC_val_solution.csv`` and the official VOC XML
files (``ILSVRC2012_bbox_val_v3.tgz`` or its folder). Both give 0-based, inclusive pixel boxes.
"""

from __future__ import annotations

import csv
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree


@dataclass(frozen=True)
class Box:
    """A box in 0-based pixel indices, both ends inclusive (the ILSVRC convention)."""

    wnid: str
    xmin: int
    ymin: int
    xmax: int
    ymax: int

    def as_list(self) -> list[int]:
        return [self.xmin, self.ymin, self.xmax, self.ymax]


@dataclass
class Annotation:
    image_id: str
    boxes: list[Box] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class AnnotationFile:
    annotations: dict[str, Annotation]
    duplicates: list[str]


def parse_prediction_string(text: str) -> tuple[list[Box], list[str]]:
    """Parse 'wnid xmin ymin xmax ymax' repeated; return the boxes and the problems met."""
    tokens = text.split()
    boxes: list[Box] = []
    problems: list[str] = []
    if len(tokens) % 5:
        problems.append(f"prediction string has {len(tokens)} fields, not a multiple of 5")
    for start in range(0, len(tokens) - len(tokens) % 5, 5):
        wnid, *coords = tokens[start : start + 5]
        try:
            xmin, ymin, xmax, ymax = (round(float(c)) for c in coords)
        except ValueError:
            problems.append(f"box {start // 5 + 1} has non-numeric coordinates {coords}")
            continue
        boxes.append(Box(wnid, xmin, ymin, xmax, ymax))
    return boxes, problems


def read_loc_solution(path: str | Path) -> AnnotationFile:
    """Read a Kaggle-style ``LOC_val_solution.csv`` (``ImageId,PredictionString``)."""
    annotations: dict[str, Annotation] = {}
    duplicates: list[str] = []
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or {"ImageId", "PredictionString"} - set(reader.fieldnames):
            raise ValueError(f"{path}: expected the header 'ImageId,PredictionString'")
        for row in reader:
            image_id = (row["ImageId"] or "").strip()
            if not image_id:
                continue
            if image_id in annotations:
                duplicates.append(image_id)
                continue
            boxes, problems = parse_prediction_string(row["PredictionString"] or "")
            annotations[image_id] = Annotation(image_id, boxes, problems)
    return AnnotationFile(annotations, duplicates)


def parse_voc_xml(text: str | bytes, fallback_id: str = "") -> Annotation:
    """One ILSVRC/VOC XML annotation (``<object><name>wnid</name><bndbox>…``)."""
    problems: list[str] = []
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        return Annotation(fallback_id, [], [f"unreadable XML ({error})"])
    image_id = (root.findtext("filename") or fallback_id).strip()
    image_id = image_id.rsplit(".", 1)[0] if image_id.lower().endswith(".jpeg") else image_id
    boxes: list[Box] = []
    for number, obj in enumerate(root.iter("object"), start=1):
        wnid = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        try:
            assert box is not None
            coords = [round(float(box.findtext(k) or "")) for k in ("xmin", "ymin", "xmax", "ymax")]
        except (AssertionError, ValueError):
            problems.append(f"object {number} has no numeric bndbox")
            continue
        boxes.append(Box(wnid, *coords))
    return Annotation(image_id, boxes, problems)


def _collect(items: Iterator[tuple[str, bytes]]) -> AnnotationFile:
    annotations: dict[str, Annotation] = {}
    duplicates: list[str] = []
    for name, data in items:
        annotation = parse_voc_xml(data, fallback_id=PurePosixPath(name).stem)
        if annotation.image_id in annotations:
            duplicates.append(annotation.image_id)
            continue
        annotations[annotation.image_id] = annotation
    return AnnotationFile(annotations, duplicates)


def read_voc_annotations(path: str | Path) -> AnnotationFile:
    """VOC XML boxes from a folder of ``*.xml`` or an archive (``ILSVRC2012_bbox_val_v3.tgz``)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.xml"))
        return _collect((f.name, f.read_bytes()) for f in files)

    def members() -> Iterator[tuple[str, bytes]]:
        with tarfile.open(path) as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(".xml"):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        yield member.name, handle.read()

    return _collect(members())


def read_annotations(path: str | Path) -> AnnotationFile:
    """Kaggle CSV, or VOC XML (folder or archive), by what ``path`` is."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        return read_loc_solution(path)
    if path.is_dir() or tarfile.is_tarfile(path):
        return read_voc_annotations(path)
    raise ValueError(f"dataset.annotations: {path} is neither a .csv, a folder nor a tar archive")
