"""Explainer costs against their physical floors, measured side by side in one run.

A benchmark, not a test: it prints per-method medians and ratios and writes them as JSON.
Floors: SeCAM needs one forward pass (CAM head; plus a backward on the gradient path) and one
segmentation; LIME needs num_samples forward passes. On the first --images photographs of the
shared ILSVRC sample, per image and after a warm-up, with device synchronisation:

  forward       preprocessing + one forward pass
  segmentation  SLIC (50 segments, compactness 10)
  secam         forward + map + full-resolution upsampling + region mean + top-3
  lime          the reference `lime` package, num_samples, seeded
  lime-batched  the same explanation built on the device (secam.lime.batched)
  inference     num_samples forward passes at the best batch size (LIME's floor)

Ratios (goals from the performance issue): (secam+segmentation)/(forward+segmentation) <= 1.2
(key secam_plus_segmentation_over_forward_plus_segmentation; secam_over_forward_plus_segmentation
leaves SeCAM's segmentation out, for reference),
lime-batched/inference <= 1.25, lime/lime-batched >= 2 (CPU) or >= 20 (GPU), lime/secam >= 100,
and SeCAM images per second on batches of 64 (maps for the whole batch from one forward,
upsampling and region means on the device; segmentation excluded, it runs in parallel workers).
End to end: SeCAM with its SLIC against CAM (forward, map, upsampling), per image: on a CPU
one image at a time with each SLIC backend (skimage, numba, torch; goal with the fastest: SeCAM
at most 3x CAM, issue 30), on CUDA with the torch backend on the device in batches of 1 and 64
(goal: at most 2x CAM, issue 19).
Agreement (lime-batched vs the package, num_samples as given): top-3 overlap and Spearman
correlation of region weights between lime-batched (seed 0) and the package (seed 1), beside
the same between the package's seeds 0 and 1, and the largest same-seed difference.

Usage: python benchmarks/bench_explainers.py [--device cpu|cuda] [--images N] [--samples N]
       [--model efficientnet_lite0] [--weights DEFAULT|none] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from secam.activations import make_mapper
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.lime.batched import lime_batched_region_scores
from secam.lime.reference import lime_region_scores
from secam.models.registry import LoadedModel, load_model
from secam.regions import region_means, upsample
from secam.segmentation import BACKENDS, segment, segment_batch
from secam.selection import Selection, select_regions
from secam.timing import synchronize

REPO = Path(__file__).resolve().parents[1]
KAGGLE_VAL = ("ILSVRC", "Data", "CLS-LOC", "val")


def timed(device: torch.device, run, *args, **kwargs):  # type: ignore[no-untyped-def]
    """(seconds, result) of ``run(*args, **kwargs)``, waiting for the device on both ends."""
    synchronize(device)
    start = time.perf_counter()
    result = run(*args, **kwargs)
    synchronize(device)
    return time.perf_counter() - start, result


def package_lime(*args, **kwargs) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The lime package, without the progress bar it draws on stderr for every explanation."""
    with contextlib.redirect_stderr(io.StringIO()):
        return lime_region_scores(*args, **kwargs)


def secam_scores(model: LoadedModel, image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    mapper = make_mapper(model, "auto")
    result = mapper(model.preprocessing(image, model.device))
    full = upsample(result.maps[0], image.shape[:2])
    scores = region_means(full, labels).cpu().numpy()
    select_regions(scores, Selection("top_k", 3))
    return scores


def forward(model: LoadedModel, image: np.ndarray) -> int:
    with torch.inference_mode():
        return int(model.module(model.preprocessing(image, model.device)).argmax())


def repeat_forward(model: LoadedModel, inputs: torch.Tensor, passes: int) -> None:
    for _ in range(passes):
        model.module(inputs)


def best_inference(model: LoadedModel, image: np.ndarray, samples: int) -> tuple[float, int]:
    """num_samples forward passes of preprocessed inputs at the fastest batch size tried."""
    x = model.preprocessing(image, model.device)
    best = (float("inf"), 0)
    sizes = (16, 64, 256) if model.device.type == "cuda" else (4, 16)
    for batch in sizes:
        inputs = x.expand(batch, -1, -1, -1).contiguous()
        with torch.inference_mode():
            model.module(inputs)  # warm-up at this size
            passes = -(-samples // batch)
            seconds, _ = timed(model.device, repeat_forward, model, inputs, passes)
        best = min(best, (seconds * samples / (batch * passes), batch))
    return best


def batch_throughput(model: LoadedModel, images: list[np.ndarray], labels, batch: int) -> float:
    """SeCAM images per second: one forward for the batch, region means on the device."""
    mapper = make_mapper(model, "auto")
    chosen = [images[i % len(images)] for i in range(batch)]
    chosen_labels = [
        torch.from_numpy(labels[i % len(images)]).to(model.device) for i in range(batch)
    ]

    def run() -> None:
        x = model.preprocessing(chosen, model.device)
        maps = mapper(x).maps
        for grid, image, label in zip(maps, chosen, chosen_labels, strict=True):
            region_means(upsample(grid, image.shape[:2]), label)

    run()
    seconds = min(timed(model.device, run)[0] for _ in range(3))
    return batch / seconds


def end_to_end_per_image(
    model: LoadedModel, images: list[np.ndarray], batch: int, backend: str
) -> dict:
    """Seconds per image in batches of ``batch`` on the model's device: CAM (forward, maps,
    full-resolution upsampling) and SeCAM end to end (the same, SLIC by ``backend``, and the
    region means), with their ratio. Every image is explained (in batches of 1, each image; in
    larger batches, the images repeated to fill one batch): the best of 3 passes after a
    warm-up."""
    mapper = make_mapper(model, "auto")
    batches = [
        [images[(start + i) % len(images)] for i in range(batch)]
        for start in range(0, max(len(images), batch), batch)
    ]
    device = str(model.device)

    def cam_of(chosen: list[np.ndarray]) -> list[torch.Tensor]:
        maps = mapper(model.preprocessing(chosen, model.device)).maps
        return [upsample(grid, image.shape[:2]) for grid, image in zip(maps, chosen, strict=True)]

    def cam() -> None:
        for chosen in batches:
            cam_of(chosen)

    def secam() -> None:
        for chosen in batches:
            labels = segment_batch(chosen, backend=backend, device=device)
            for full, label in zip(cam_of(chosen), labels, strict=True):
                region_means(full, torch.from_numpy(label).to(model.device))

    explained = len(batches) * batch
    seconds = {}
    for name, run in (("cam", cam), ("secam_end_to_end", secam)):
        run()
        seconds[name] = min(timed(model.device, run)[0] for _ in range(3)) / explained
    return {**seconds, "secam_end_to_end_over_cam": seconds["secam_end_to_end"] / seconds["cam"]}


def overlap_top3(a: np.ndarray, b: np.ndarray) -> float:
    return len(set(np.argsort(-a)[:3]) & set(np.argsort(-b)[:3])) / 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = os.environ.get("SECAM_ILSVRC_SAMPLE", str(REPO.parent / "shared/ilsvrc-val-sample"))
    parser.add_argument("--sample", type=Path, default=Path(default))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--images", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--weights", default="DEFAULT", help="'none': random weights (timing)")
    parser.add_argument("--lime-batch", type=int, default=None, help="default: 4 CPU, 256 GPU")
    parser.add_argument("--throughput-batch", type=int, default=64)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    device = torch.device(args.device)
    weights = None if args.weights.lower() == "none" else args.weights
    model = load_model(args.model, weights=weights, device=device)
    lime_batch = args.lime_batch or (256 if device.type == "cuda" else 4)
    files = sorted((args.sample.joinpath(*KAGGLE_VAL)).glob("*.JPEG"))[: args.images]
    images = [load_rgb(ImageSource(str(f))) for f in files]

    rows: dict[str, list[float]] = {
        k: [] for k in ("forward", "segmentation", "secam", "lime", "lime-batched", "inference")
    }
    agreement: dict[str, list[float]] = {
        k: []
        for k in ("overlap_batched", "overlap_package", "spearman_batched", "spearman_package")
    }
    same_seed_difference = 0.0
    labels_all = []
    # Warm-up: every code path once, untimed.
    warm = segment(images[0])
    forward(model, images[0])
    secam_scores(model, images[0], warm)
    lime_batched_region_scores(model, images[0], warm, 0, num_samples=lime_batch, seed=0)
    floor, best_batch = best_inference(model, images[0], args.samples)
    for index, image in enumerate(images):
        seconds, labels = timed(device, segment, image)
        labels_all.append(labels)
        rows["segmentation"].append(seconds)
        rows["forward"].append(timed(device, forward, model, image)[0])
        target = forward(model, image)
        rows["secam"].append(timed(device, secam_scores, model, image, labels)[0])
        lime_args = (model, image, labels, target, args.samples)
        seconds, package = timed(device, package_lime, *lime_args, seed=0, batch_size=lime_batch)
        rows["lime"].append(seconds)
        seconds, batched = timed(
            device, lime_batched_region_scores, *lime_args, seed=0, batch_size=lime_batch
        )
        rows["lime-batched"].append(seconds)
        rows["inference"].append(floor)  # same input size for every image: measured once
        other = package_lime(*lime_args, seed=1, batch_size=lime_batch)
        same_seed_difference = max(same_seed_difference, float(np.abs(batched - package).max()))
        agreement["overlap_batched"].append(overlap_top3(batched, other))
        agreement["overlap_package"].append(overlap_top3(package, other))
        agreement["spearman_batched"].append(float(spearmanr(batched, other).statistic))
        agreement["spearman_package"].append(float(spearmanr(package, other).statistic))
        print(
            f"[{index + 1}/{len(images)}] {files[index].name}: "
            + ", ".join(f"{k} {v[-1]:.4g} s" for k, v in rows.items())
            + f" (best inference batch {best_batch})",
            flush=True,
        )

    median = {k: statistics.median(v) for k, v in rows.items()}
    ratios = {
        "secam_over_forward_plus_segmentation": median["secam"]
        / (median["forward"] + median["segmentation"]),
        "secam_plus_segmentation_over_forward_plus_segmentation": (
            median["secam"] + median["segmentation"]
        )
        / (median["forward"] + median["segmentation"]),
        "lime_batched_over_inference": median["lime-batched"] / median["inference"],
        "lime_over_lime_batched": median["lime"] / median["lime-batched"],
        "lime_over_secam": median["lime"] / median["secam"],
    }
    throughput = batch_throughput(model, images, labels_all, args.throughput_batch)
    # SeCAM with its segmentation, against CAM: on a GPU with SLIC's torch backend on the
    # device (batches of 1 and 64), on a CPU one image at a time with each CPU backend
    if device.type == "cuda":
        batches = {"torch": (1, args.throughput_batch)}
    else:
        batches = {backend: (1,) for backend in BACKENDS}
    end_to_end = {
        backend: {str(b): end_to_end_per_image(model, images, b, backend) for b in sizes}
        for backend, sizes in batches.items()
    }
    result = {
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "model": args.model,
        "weights": args.weights,
        "images": len(images),
        "num_samples": args.samples,
        "lime_batch_size": lime_batch,
        "median_seconds": median,
        "ratios": ratios,
        "secam_images_per_second_batch": {str(args.throughput_batch): throughput},
        "end_to_end_seconds_per_image_by_slic_backend_and_batch": end_to_end,
        "agreement": {k: statistics.mean(v) for k, v in agreement.items()},
        "same_seed_max_abs_difference": same_seed_difference,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
