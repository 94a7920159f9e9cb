"""A synthetic ILSVRC2012 validation set of N images, for measuring the workflow at scale.

    python benchmarks/make_synthetic_ilsvrc.py N OUT [--seed 0] [--tar]

writes, in the Kaggle layout the configs name (README, "Datasets"):

    OUT/LOC_val_solution.csv            1 to 3 boxes per image, of the image's class
    OUT/LOC_synset_mapping.txt          the 1000 ImageNet classes, in model output order
    OUT/ILSVRC/Data/CLS-LOC/val/ILSVRC2012_val_<8 digits>.JPEG

and with ``--tar`` also ``OUT/ILSVRC2012_img_val.tar``: the same JPEG files as members of one
uncompressed tar, as the official release ships them, for staging from a tar never unpacked.

Every image is drawn from its own generator, seeded by (seed, image number): the first 1000
images of a 50 000-image set are the 1000-image set's images and boxes, byte for byte (not
their classes, drawn anew for each N so that every synset is as frequent as any other). Sizes
vary (100 to 250 px a side), and each image is a two-colour gradient under noise with its
boxes filled by a textured shape, so that no two files are alike and no cache or duplicate
check can shortcut a run. The classes cycle through all 1000 synsets in a seeded order. Real
photographs' costs (SLIC, decoding) are measured elsewhere (docs/performance.md); these images
keep them small so that what grows with the run, not with the image, shows.
"""

from __future__ import annotations

import argparse
import io
import tarfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from secam.classes import imagenet_classes

MIN_SIDE, MAX_SIDE = 100, 250
IMAGES_FOLDER = Path("ILSVRC/Data/CLS-LOC/val")
TAR_NAME = "ILSVRC2012_img_val.tar"


def image_id(number: int) -> str:
    """The official name of validation image ``number`` (counted from 1)."""
    return f"ILSVRC2012_val_{number:08d}"


def synthetic_image(rng: np.random.Generator) -> tuple[Image.Image, list[tuple[int, ...]]]:
    """One image and its boxes (xmin, ymin, xmax, ymax), drawn from ``rng``."""
    width, height = (int(side) for side in rng.integers(MIN_SIDE, MAX_SIDE + 1, size=2))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    ramp = (x * np.cos(angle) + y * np.sin(angle)) / (width + height)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    start, end = rng.uniform(0, 255, size=(2, 3)).astype(np.float32)
    pixels = start + ramp[..., None] * (end - start)
    boxes = []
    for _ in range(int(rng.integers(1, 4))):
        box_width = int(rng.integers(width // 5, width * 3 // 4 + 1))
        box_height = int(rng.integers(height // 5, height * 3 // 4 + 1))
        left = int(rng.integers(0, width - box_width + 1))
        top = int(rng.integers(0, height - box_height + 1))
        box = (left, top, left + box_width - 1, top + box_height - 1)
        boxes.append(box)
        # an ellipse filling the box, striped at a frequency and angle of its own
        inside_y = (y[top : box[3] + 1, left : box[2] + 1] - top) / box_height - 0.5
        inside_x = (x[top : box[3] + 1, left : box[2] + 1] - left) / box_width - 0.5
        shape = inside_x**2 + inside_y**2 <= 0.25
        frequency, phase = rng.uniform(4, 20), rng.uniform(0, 2 * np.pi)
        stripes = 0.5 + 0.5 * np.sin(frequency * (inside_x + rng.uniform(-1, 1) * inside_y) + phase)
        colour_a, colour_b = rng.uniform(0, 255, size=(2, 3)).astype(np.float32)
        texture = colour_a + stripes[..., None] * (colour_b - colour_a)
        region = pixels[top : box[3] + 1, left : box[2] + 1]
        region[shape] = texture[shape]
    pixels += rng.normal(0, 12, size=pixels.shape).astype(np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image, boxes


def write_set(count: int, out: Path, seed: int = 0, tar: bool = False) -> dict[str, float]:
    """Write the set; returns its size in files and bytes and the seconds it took."""
    started = time.perf_counter()
    classes = imagenet_classes()
    wnids = classes.wnids
    images = out / IMAGES_FOLDER
    images.mkdir(parents=True, exist_ok=True)
    mapping = "".join(
        f"{wnid} {label}\n" for wnid, label in zip(wnids, classes.labels, strict=True)
    )
    (out / "LOC_synset_mapping.txt").write_text(mapping)
    # every synset once in each run of 1000 images, in an order drawn from the seed
    classes = np.random.default_rng(seed).permutation(np.arange(count) % len(wnids))
    archive = tarfile.open(out / TAR_NAME, "w") if tar else None
    rows = ["ImageId,PredictionString"]
    total_bytes = 0
    try:
        for number in range(1, count + 1):
            name = image_id(number)
            picture, boxes = synthetic_image(np.random.default_rng([seed, number]))
            buffer = io.BytesIO()
            picture.save(buffer, format="JPEG", quality=90)
            data = buffer.getvalue()
            total_bytes += len(data)
            (images / f"{name}.JPEG").write_bytes(data)
            if archive is not None:
                member = tarfile.TarInfo(f"{name}.JPEG")
                member.size, member.mtime = len(data), 0
                archive.addfile(member, io.BytesIO(data))
            wnid = wnids[classes[number - 1]]
            rows.append(
                f"{name},"
                + " ".join(f"{wnid} {x0} {y0} {x1} {y1}" for x0, y0, x1, y1 in boxes)
                + " "
            )
    finally:
        if archive is not None:
            archive.close()
    (out / "LOC_val_solution.csv").write_text("\n".join(rows) + "\n")
    return {"images": count, "jpeg_bytes": total_bytes, "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="images to write")
    parser.add_argument("out", type=Path, help="folder to write the set in")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tar", action="store_true", help=f"also write {TAR_NAME}")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("count must be at least 1")
    written = write_set(args.count, args.out, seed=args.seed, tar=args.tar)
    print(
        f"{written['images']} images, {written['jpeg_bytes'] / 2**20:.1f} MiB of JPEG, "
        f"in {written['seconds']:.1f} s -> {args.out}"
    )


if __name__ == "__main__":
    main()
