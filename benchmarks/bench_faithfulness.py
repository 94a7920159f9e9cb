"""The faithfulness stage's work per image against its floor, measured side by side.

A benchmark, not a test: it prints medians and ratios and writes them as JSON. On the first
--images colour photographs of the shared ILSVRC sample (every --step-th), EfficientNet-Lite0
on --device (cpu or cuda), SLIC superpixels and SeCAM's region scores computed beforehand
(not timed):

  curves   the stage's timed lap: the blurred background, then the deletion and insertion
           curves at --steps (secam.faithfulness.region_curves), faithfulness.batch_size's
           default for the device (4 on a CPU, 64 on CUDA)
  kept     what each of the run's 8 selections keeps of the probability (kept_probabilities),
           on the same background
  floor    2 x steps forward passes of the image's size in those batches: a deletion and an
           insertion curve share their ends (the image and the blurred image), so 2 x steps
           distinct images are the least the curves need
  blur     the background alone

Ratios: curves / floor (goal <= 1.5, issue 19), (curves + kept) / (floor + 8 passes).

Usage: python benchmarks/bench_faithfulness.py [--device cpu|cuda] [--images N] [--steps N]
       [--json OUT]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from shared_sample import add_sample_argument, report, staged_manifest

from secam.activations import make_mapper
from secam.config import default
from secam.faithfulness import blurred, kept_probabilities, region_curves
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.lime import probability_fn
from secam.models import load_model
from secam.pipeline.common import batch_size_for
from secam.regions import region_means, upsample
from secam.segmentation import segment
from secam.selection import Selection, select_regions


def timed(run, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = run(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_sample_argument(parser)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--step", type=int, default=25)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    manifest = staged_manifest(args.sample)
    colour = manifest[~manifest["notes"].str.contains("greyscale")]
    rows = colour.iloc[:: args.step].head(args.images)
    model = load_model("efficientnet_lite0", device=args.device)
    batch = batch_size_for(default("faithfulness", "batch_size"), model.device.type)
    classify = probability_fn(model)
    mapper = make_mapper(model, "auto")
    figures: dict[str, list[float]] = {"curves": [], "kept": [], "floor": [], "blur": []}
    for index, row in enumerate(rows.itertuples()):
        image = load_rgb(ImageSource.from_row(row))
        labels = segment(image)
        found = mapper(model.preprocessing(image, model.device))
        target = int(found.targets[0])
        scores = region_means(upsample(found.maps[0], image.shape[:2]), labels).cpu().numpy()
        masks = [
            np.isin(labels, select_regions(scores, Selection.parse(name))[0])
            for name in ("top2", "top3", "top4", "thr80", "thr70", "thr60", "gap")
        ]
        masks.append(np.ones(labels.shape, bool))  # stands for sufficient:0.9's
        if index == 0:  # warm-up
            region_curves(classify, image, labels, scores, target, args.steps, batch)
        took, _ = timed(blurred, image)
        figures["blur"].append(took)
        start = time.perf_counter()
        background = blurred(image)
        region_curves(classify, image, labels, scores, target, args.steps, batch, background)
        figures["curves"].append(time.perf_counter() - start)
        took, _ = timed(kept_probabilities, classify, image, masks, target, batch, background)
        figures["kept"].append(took)
        distinct = np.repeat(image[None], 2 * args.steps, axis=0)
        start = time.perf_counter()
        for first in range(0, len(distinct), batch):
            classify(distinct[first : first + batch])
        figures["floor"].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in figures.items()}
    one_pass = median["floor"] / (2 * args.steps)
    report(
        {
            "device": torch.cuda.get_device_name()
            if model.device.type == "cuda"
            else platform.processor() or "cpu",
            "batch_size": batch,
            "torch_threads": torch.get_num_threads(),
            "images": len(rows),
            "steps": args.steps,
            "median_seconds": median,
            "curves_over_floor": median["curves"] / median["floor"],
            "stage_over_floor_with_kept": (median["curves"] + median["kept"])
            / (median["floor"] + len(masks) * one_pass),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
