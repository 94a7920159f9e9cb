"""Readers for ground-truth boxes: the Kaggle ``LOC_val_solution.csv`` format."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


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
