"""Stage a dataset: one manifest row per usable image, one rejected row per refused item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from secam.annotations import Box, read_loc_solution
from secam.artifacts import TABLES, check_columns, file_sha256
from secam.classes import ClassList, load_class_list
from secam.imaging import ImageReadError, load_rgb, read_header

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
SUFFIX_FORMATS = {".jpeg": {"JPEG", "MPO"}, ".jpg": {"JPEG", "MPO"}, ".png": {"PNG"}}


@dataclass
class StagingResult:
    manifest: pd.DataFrame
    rejected: pd.DataFrame


def shard_name(index: int) -> str:
    return f"shard{index:05d}"


def _index_images(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset.images: folder not found: {folder}")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            found.setdefault(path.stem, path)
    return found


def clean_boxes(boxes: Sequence[Box], width: int, height: int) -> tuple[list[Box], list[str]]:
    """Clip boxes to the image, drop inverted or empty ones; say what was done."""
    kept: list[Box] = []
    notes: list[str] = []
    for number, box in enumerate(boxes, start=1):
        if box.xmax < box.xmin or box.ymax < box.ymin:
            notes.append(f"box {number} {box.as_list()} is inverted or empty: dropped")
            continue
        clipped = Box(
            box.wnid,
            max(box.xmin, 0),
            max(box.ymin, 0),
            min(box.xmax, width - 1),
            min(box.ymax, height - 1),
        )
        if clipped.xmax < clipped.xmin or clipped.ymax < clipped.ymin:
            notes.append(f"box {number} {box.as_list()} lies outside the image: dropped")
            continue
        if clipped != box:
            notes.append(f"box {number} {box.as_list()} clipped to {clipped.as_list()}")
        kept.append(clipped)
    return kept, notes


def stage_dataset(
    annotations: str | Path,
    images: str | Path,
    synsets: str | Path | None = None,
    image_ids: Sequence[str] = (),
    max_images: int | None = None,
    max_pixels: int | None = None,
    shard_size: int = 100,
) -> StagingResult:
    """Build the manifest of a Kaggle-layout dataset (annotation CSV + image folder).

    Nothing raises for a single bad item: it becomes a row of ``rejected`` with its reason and
    the run goes on with the others.
    """
    classes: ClassList = load_class_list(synsets)
    parsed = read_loc_solution(annotations)
    on_disk = _index_images(Path(images))
    rejected: list[dict[str, str]] = [
        {
            "image_id": image_id,
            "path": "",
            "reason": "duplicated image id in the annotations: the first row is kept",
        }
        for image_id in parsed.duplicates
    ]
    wanted = set(image_ids)
    for image_id in sorted(set(on_disk) - set(parsed.annotations)):
        if not wanted or image_id in wanted:
            rejected.append(
                {
                    "image_id": image_id,
                    "path": str(on_disk[image_id]),
                    "reason": "image without annotation",
                }
            )

    candidates = sorted(parsed.annotations)
    if wanted:
        unknown = sorted(wanted - set(candidates))
        rejected.extend(
            {
                "image_id": i,
                "path": "",
                "reason": "requested in dataset.image_ids but not in the annotations",
            }
            for i in unknown
        )
        candidates = [i for i in candidates if i in wanted]

    rows: list[dict[str, object]] = []
    for image_id in candidates:
        if max_images is not None and len(rows) >= max_images:
            break
        annotation = parsed.annotations[image_id]
        path = on_disk.get(image_id)

        def refuse(reason: str, path: Path | None = path, image_id: str = image_id) -> None:
            rejected.append({"image_id": image_id, "path": str(path or ""), "reason": reason})

        if path is None:
            refuse("annotation without image: no file named after the image id")
            continue
        if not annotation.boxes:
            refuse("no usable box: " + ("; ".join(annotation.problems) or "empty annotation"))
            continue
        wnid = annotation.boxes[0].wnid
        try:
            class_index = classes.index(wnid)
        except KeyError as error:
            refuse(str(error.args[0]))
            continue
        try:
            header = read_header(path, max_pixels)
            # A full decode here catches truncated files before any job depends on them.
            load_rgb(path, max_pixels)
        except ImageReadError as error:
            refuse(str(error))
            continue
        notes = list(annotation.problems)
        other = sorted({b.wnid for b in annotation.boxes} - {wnid})
        if other:
            notes.append(f"boxes of other classes {other} ignored; the image's class is {wnid}")
        boxes, box_notes = clean_boxes(
            [b for b in annotation.boxes if b.wnid == wnid], header.width, header.height
        )
        notes.extend(box_notes)
        if not boxes:
            refuse("no box left after validation: " + "; ".join(box_notes))
            continue
        expected_formats = SUFFIX_FORMATS.get(path.suffix.lower())
        if expected_formats and header.format not in expected_formats:
            notes.append(f"file holds a {header.format} image despite its {path.suffix} name")
        if header.mode != "RGB":
            notes.append(f"{header.mode} image converted to RGB")
        rows.append(
            {
                "image_id": image_id,
                "path": str(path),
                "wnid": wnid,
                "class_index": class_index,
                "label": classes.labels[class_index],
                "width": header.width,
                "height": header.height,
                "boxes": [b.as_list() for b in boxes],
                "n_boxes": len(boxes),
                "sha256": file_sha256(path),
                "shard": shard_name(len(rows) // shard_size),
                "notes": "; ".join(notes),
            }
        )

    manifest = pd.DataFrame(rows, columns=list(TABLES["manifest"]))
    if not manifest.empty:
        manifest = manifest.astype(
            {"class_index": "int64", "width": "int64", "height": "int64", "n_boxes": "int64"}
        )
    rejected_frame = pd.DataFrame(rejected, columns=list(TABLES["rejected"]))
    rejected_frame = rejected_frame.sort_values(["image_id", "reason"], kind="stable")
    return StagingResult(
        check_columns(manifest, "manifest"), check_columns(rejected_frame, "rejected")
    )


def shards_of(manifest: pd.DataFrame) -> list[str]:
    return sorted(manifest["shard"].unique().tolist())
