"""Stage a dataset: one manifest row per usable image, one rejected row per refused item.

Layouts are recognised by what the configured paths are:

- annotations: a Kaggle ``LOC_val_solution.csv``, or the official VOC XML boxes as a folder or
  as ``ILSVRC2012_bbox_val_v3.tgz``;
- images: a folder (Kaggle ``ILSVRC/Data/CLS-LOC/val``, or the unpacked official JPEGs) or the
  official uncompressed ``ILSVRC2012_img_val.tar``, read member by member;
- classes: ``LOC_synset_mapping.txt``, the devkit (``meta.mat`` or its ``.tar.gz``), or the
  standard list shipped with the library.

Headers are checked first (size, format, mode, end marker); an image that passes every other
check is then decoded once, because a file corrupted in the middle keeps a valid header. A
single bad item never stops the run: it becomes a ``rejected`` row with a reason and the others
go on. An image byte-identical to one staged before it is staged too, with a note naming that one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from secam.annotations import Annotation, Box, read_annotations
from secam.classes import ClassList, load_class_list
from secam.config import default
from secam.image_sources import ImageSource, index_images
from secam.imaging import ImageReadError, check_decodes, read_header
from secam.table_columns import TABLES, check_columns

# The classes of the paper's example figures.
PAPER_CLASSES = (
    "hummingbird",
    "ram",
    "king penguin",
    "coucal",
    "agaric",
    "indigo bunting",
    "kite",
    "vulture",
)
SUFFIX_FORMATS = {".jpeg": {"JPEG", "MPO"}, ".jpg": {"JPEG", "MPO"}, ".png": {"PNG"}}
MODE_NOTES = {
    "L": "greyscale image converted to RGB",
    "LA": "greyscale image with alpha converted to RGB",
    "P": "palette image converted to RGB",
    "CMYK": "CMYK image converted to RGB",
    "RGBA": "alpha channel dropped",
    "I;16": "16-bit image rescaled to 8-bit RGB",
    "I;16B": "16-bit image rescaled to 8-bit RGB",
    "I;16L": "16-bit image rescaled to 8-bit RGB",
    "I": "32-bit integer image rescaled to 8-bit RGB",
}


@dataclass
class Sampling:
    """Which annotated images to stage: the filters narrow the set, in this order, then the
    preset adds every image of its classes."""

    image_ids: Sequence[str] = tuple(default("dataset", "sample", "image_ids"))
    # wnids, labels or indices
    classes: Sequence[str] = tuple(default("dataset", "sample", "classes"))
    preset: str | None = None  # "paper": also every image of the paper's example classes
    per_class: int | None = None  # at most N images per class, drawn with ``seed``
    seed: int = default("dataset", "sample", "seed")
    max_images: int | None = None  # then the first N in image-id order

    @classmethod
    def from_config(cls, dataset: dict) -> Sampling:
        """From a validated ``dataset`` section (the schema filled in every default)."""
        sample = dataset["sample"]
        return cls(
            image_ids=sample["image_ids"],
            classes=sample["classes"],
            preset=sample["preset"],
            per_class=sample["per_class"],
            seed=sample["seed"],
            max_images=dataset["max_images"],
        )


@dataclass
class StagingResult:
    manifest: pd.DataFrame
    rejected: pd.DataFrame


@dataclass
class _Rejections:
    rows: list[dict[str, str]] = field(default_factory=list)

    def add(self, image_id: str, source: object, reason: str) -> None:
        self.rows.append({"image_id": image_id, "path": str(source or ""), "reason": reason})


def shard_name(index: int) -> str:
    return f"shard{index:05d}"


def _sha256(source: ImageSource) -> str:
    digest = hashlib.sha256()
    with source.open() as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def clean_boxes(boxes: Sequence[Box], width: int, height: int) -> tuple[list[Box], list[str]]:
    """Clip boxes to the image, drop inverted or outside ones; say what was done.

    Both corners are inclusive (see :mod:`secam.metrics`): ``xmin == xmax`` is a box one pixel
    wide, kept; only ``xmax < xmin`` (or ``ymax < ymin``) is inverted.
    """
    kept: list[Box] = []
    notes: list[str] = []
    for number, box in enumerate(boxes, start=1):
        if box.xmax < box.xmin or box.ymax < box.ymin:
            notes.append(
                f"box {number} {box.as_list()} is inverted (xmax < xmin or ymax < ymin): dropped"
            )
            continue
        clipped = Box(
            box.wnid,
            max(box.xmin, 0),
            max(box.ymin, 0),
            min(box.xmax, width - 1),
            min(box.ymax, height - 1),
        )
        if clipped.xmax < clipped.xmin or clipped.ymax < clipped.ymin:  # no pixel inside
            notes.append(f"box {number} {box.as_list()} lies outside the image: dropped")
            continue
        if clipped != box:
            notes.append(f"box {number} {box.as_list()} clipped to {clipped.as_list()}")
        kept.append(clipped)
    return kept, notes


def _class_wnids(names: Sequence[str], classes: ClassList) -> set[str]:
    try:
        return {classes.wnids[classes.find(str(name))] for name in names}
    except (KeyError, ValueError) as error:
        raise ValueError(f"dataset.sample.classes: {error}") from None


def _sample(
    annotations: dict[str, Annotation],
    sampling: Sampling,
    classes: ClassList,
    rejected: _Rejections,
) -> list[str]:
    """Filters (image ids, classes, per-class draw) narrow the set; the preset adds to it."""
    annotated = sorted(annotations)
    candidates = annotated
    if sampling.image_ids:
        wanted = set(sampling.image_ids)
        for missing in sorted(wanted - set(candidates)):
            rejected.add(missing, "", "requested in dataset.sample.image_ids but not annotated")
        candidates = [i for i in candidates if i in wanted]
    if sampling.classes:
        chosen = _class_wnids(sampling.classes, classes)
        candidates = [i for i in candidates if _wnid(annotations[i]) in chosen]
    if sampling.per_class is not None:
        by_class: dict[str, list[str]] = {}
        for image_id in candidates:
            by_class.setdefault(_wnid(annotations[image_id]), []).append(image_id)
        rng = np.random.default_rng(sampling.seed)
        keep: set[str] = set()
        for wnid in sorted(by_class):
            ids = by_class[wnid]
            count = min(sampling.per_class, len(ids))
            keep.update(ids[i] for i in rng.choice(len(ids), size=count, replace=False))
        candidates = [i for i in candidates if i in keep]
    if sampling.preset == "paper":
        paper = _class_wnids(PAPER_CLASSES, classes)
        extra = {i for i in annotated if _wnid(annotations[i]) in paper}
        candidates = sorted(set(candidates) | extra)
    return candidates


def _wnid(annotation: Annotation) -> str:
    return annotation.boxes[0].wnid if annotation.boxes else ""


def stage_dataset(
    annotations: str | Path,
    images: str | Path,
    synsets: str | Path | None = None,
    sampling: Sampling | None = None,
    max_pixels: int | None = None,
    min_side: int = default("dataset", "min_side"),
    shard_size: int = default("dataset", "shard_size"),
) -> StagingResult:
    """Build the manifest and the rejected table of a dataset (see the module docstring)."""
    sampling = sampling or Sampling()
    classes = load_class_list(synsets)
    parsed = read_annotations(annotations)
    on_disk = index_images(images)
    rejected = _Rejections()
    for image_id in parsed.duplicates:
        rejected.add(image_id, "", "duplicated image id in the annotations: the first is kept")
    if not (sampling.image_ids or sampling.classes or sampling.preset or sampling.per_class):
        for image_id in sorted(set(on_disk) - set(parsed.annotations)):
            rejected.add(image_id, on_disk[image_id], "image without annotation")

    rows: list[dict[str, object]] = []
    first_with_digest: dict[str, str] = {}  # SHA-256 -> the first staged image id with it
    for image_id in _sample(parsed.annotations, sampling, classes, rejected):
        if sampling.max_images is not None and len(rows) >= sampling.max_images:
            break
        annotation, source = parsed.annotations[image_id], on_disk.get(image_id)
        if source is None:
            rejected.add(image_id, "", "annotation without image: no file named after the id")
            continue
        if not annotation.boxes:
            problems = "; ".join(annotation.problems) or "the annotation lists no box"
            rejected.add(image_id, source, f"no usable box: {problems}")
            continue
        wnid = annotation.boxes[0].wnid
        try:
            class_index = classes.index(wnid)
        except KeyError as error:
            rejected.add(image_id, source, str(error.args[0]))
            continue
        try:
            header = read_header(source, max_pixels)
        except ImageReadError as error:
            rejected.add(image_id, source, str(error))
            continue
        if min(header.width, header.height) < min_side:
            rejected.add(
                image_id,
                source,
                f"image is {header.width}x{header.height} pixels, "
                f"smaller than dataset.min_side = {min_side}",
            )
            continue
        notes = list(annotation.problems)
        others = sorted({b.wnid for b in annotation.boxes} - {wnid})
        if others:
            notes.append(f"boxes of other classes {others} ignored; the image's class is {wnid}")
        boxes, box_notes = clean_boxes(
            [b for b in annotation.boxes if b.wnid == wnid], header.width, header.height
        )
        notes.extend(box_notes)
        if not boxes:
            rejected.add(image_id, source, "no box left after validation: " + "; ".join(notes))
            continue
        try:
            check_decodes(source, max_pixels)
        except ImageReadError as error:
            rejected.add(image_id, source, str(error))
            continue
        expected = SUFFIX_FORMATS.get(source.suffix.lower())
        if expected and header.format not in expected:
            notes.append(f"file holds a {header.format} image despite its {source.suffix} name")
        if header.mode in MODE_NOTES:
            notes.append(MODE_NOTES[header.mode])
        # the same file under two ids is kept twice (nothing is lost) but said, since it would
        # count twice in every average
        digest = _sha256(source)
        first = first_with_digest.setdefault(digest, image_id)
        if first != image_id:
            notes.append(f"byte-identical to image {first} (same SHA-256)")
        rows.append(
            {
                "image_id": image_id,
                "source": source.location,
                "offset": source.offset,
                "size_bytes": source.byte_size(),
                "wnid": wnid,
                "class_index": class_index,
                "label": classes.labels[class_index],
                "width": header.width,
                "height": header.height,
                "boxes": [b.as_list() for b in boxes],
                "n_boxes": len(boxes),
                "sha256": digest,
                "shard": shard_name(len(rows) // shard_size),
                "notes": "; ".join(notes),
            }
        )

    manifest = pd.DataFrame(rows, columns=list(TABLES["manifest"]))
    integers = ["offset", "size_bytes", "class_index", "width", "height", "n_boxes"]
    manifest = manifest.astype(dict.fromkeys(integers, "int64"))
    rejected_frame = pd.DataFrame(rejected.rows, columns=list(TABLES["rejected"]))
    rejected_frame = rejected_frame.sort_values(["image_id", "reason"], kind="stable")
    return StagingResult(
        check_columns(manifest, "manifest"), check_columns(rejected_frame, "rejected")
    )
