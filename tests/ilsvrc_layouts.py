"""Build the official ILSVRC layout from the Kaggle-layout sample, for tests and benchmarks.

The official release ships the validation images as one uncompressed tar, the boxes as VOC XML
files (``ILSVRC2012_bbox_val_v3.tgz``) and the class list in the devkit's ``meta.mat``, numbered
by ILSVRC2012_ID rather than by sorted wnid. This writes the same files in that form.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np

from secam.annotations import read_loc_solution
from secam.classes import load_class_list


def voc_xml(image_id: str, width: int, height: int, boxes: list[list]) -> str:
    objects = "".join(
        f"<object><name>{wnid}</name><pose>Unspecified</pose><truncated>0</truncated>"
        f"<difficult>0</difficult><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax>"
        f"<ymax>{y1}</ymax></bndbox></object>"
        for wnid, x0, y0, x1, y1 in boxes
    )
    return (
        f"<annotation><folder>val</folder><filename>{image_id}</filename><source>"
        f"<database>ILSVRC_2012</database></source><size><width>{width}</width>"
        f"<height>{height}</height><depth>3</depth></size><segmented>0</segmented>"
        f"{objects}</annotation>"
    )


def write_devkit_meta(synset_mapping: Path, out: Path, seed: int = 0) -> None:
    """A meta.mat with the 1000 leaves in a shuffled ILSVRC2012_ID order plus one inner node."""
    from scipy.io import savemat

    classes = load_class_list(synset_mapping)
    order = np.random.default_rng(seed).permutation(len(classes))
    dtype = [("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("num_children", "O")]
    records = [(i + 1, classes.wnids[j], classes.labels[j], 0) for i, j in enumerate(order)]
    records.append((1001, "n00001740", "entity", 10))
    savemat(out, {"synsets": np.array(records, dtype=dtype)})


def build_official_layout(kaggle_root: Path, out: Path) -> dict[str, Path]:
    """ILSVRC2012_img_val.tar, ILSVRC2012_bbox_val_v3.tgz (+ its folder) and meta.mat."""
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    images = kaggle_root / "ILSVRC" / "Data" / "CLS-LOC" / "val"
    parsed = read_loc_solution(kaggle_root / "LOC_val_solution.csv")
    image_tar = out / "ILSVRC2012_img_val.tar"
    with tarfile.open(image_tar, "w") as tar:
        for path in sorted(images.glob("*.JPEG")):
            tar.add(path, arcname=path.name)
    xml_folder = out / "val"
    xml_folder.mkdir(exist_ok=True)
    with tarfile.open(out / "ILSVRC2012_bbox_val_v3.tgz", "w:gz") as tgz:
        for image_id, annotation in sorted(parsed.annotations.items()):
            with Image.open(images / f"{image_id}.JPEG") as image:
                width, height = image.size
            text = voc_xml(
                image_id,
                width,
                height,
                [[b.wnid, b.xmin, b.ymin, b.xmax, b.ymax] for b in annotation.boxes],
            )
            (xml_folder / f"{image_id}.xml").write_text(text)
            data = text.encode()
            info = tarfile.TarInfo(f"val/{image_id}.xml")
            info.size = len(data)
            tgz.addfile(info, io.BytesIO(data))
    write_devkit_meta(kaggle_root / "LOC_synset_mapping.txt", out / "meta.mat")
    return {
        "images": image_tar,
        "boxes": out / "ILSVRC2012_bbox_val_v3.tgz",
        "xml": xml_folder,
        "meta": out / "meta.mat",
    }
