"""Segmentation throughput and the fast SLIC's agreement with the reference.

A benchmark, not a test: it prints figures and writes them as JSON. On the first --images
colour photographs of the shared ILSVRC sample (every --step-th file):

  reference       skimage SLIC at full resolution (50 segments, compactness 10), one core
  downscale N     the fast SLIC (segmentation.downscale: N): same algorithm on an area-averaged
                  copy N times smaller per side, labels back by nearest neighbour
  torch           SLIC's torch backend (secam.torch_slic, float32) on the CPU one image at a
                  time, and on CUDA where present in batches of 1 and 64 (images cycled to
                  fill a batch): milliseconds per image, the first call of each kept out
  numba           SLIC's numba backend (secam.numba_slic: skimage's algorithm compiled, its rows
                  on every core): milliseconds per image, how many images have exactly
                  skimage's labels, and the first call's cost in a fresh process, with the
                  compiled code in the disk cache and with an empty cache (compilation), and
                  each of its steps' milliseconds (CIELAB, k-means, one round, connectivity)
  agreement       adjusted Rand index and boundary recall (2-pixel tolerance) with the reference;
                  for scale, the reference against itself run for 20 iterations instead of 10
  workers         images per second of the segment stage (secam.pipeline.segment) with 1 and
                  with --workers processes, decoding included; with the numba backend, one
                  image at a time on 1 and on --workers threads

Usage: python benchmarks/bench_segmentation.py [--images N] [--workers N] [--json OUT]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import torch
from scipy import ndimage
from shared_sample import add_sample_argument, report, staged_manifest
from skimage.segmentation import find_boundaries, slic
from sklearn.metrics import adjusted_rand_score

from secam import numba_slic
from secam.artifacts import write_table
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.pipeline.segment import run_segment
from secam.segmentation import segment, segment_batch
from secam.slic_connectivity import connected_superpixels


def boundary_recall(reference: np.ndarray, labels: np.ndarray, tolerance: int = 2) -> float:
    truth = find_boundaries(reference, mode="inner")
    found = ndimage.binary_dilation(find_boundaries(labels, mode="inner"), iterations=tolerance)
    return float((truth & found).sum() / max(truth.sum(), 1))


def timed(run, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = run(*args, **kwargs)
    return time.perf_counter() - start, result


def cuda_seconds_per_image(images: list[np.ndarray], batch: int, rounds: int = 3) -> float:
    """Median over ``rounds`` of a batch's seconds per image on CUDA (labels back on the host),
    after one warm-up batch."""
    cycled = [images[i % len(images)] for i in range(batch)]
    segment_batch(cycled, backend="torch", device="cuda")
    times = []
    for _ in range(rounds):
        torch.cuda.synchronize()
        took, _ = timed(segment_batch, cycled, backend="torch", device="cuda")
        times.append(took / batch)
    return statistics.median(times)


def first_call_seconds(image_path: str, cache: str | None) -> dict[str, float]:
    """In a fresh interpreter: importing the numba backend, and its first call on one image;
    ``cache`` an empty folder for numba's cache (the call compiles), None for the usual one."""
    code = (
        "import time; t = time.perf_counter(); import secam.numba_slic as n; "
        f"from secam.imaging import load_rgb; i = load_rgb({image_path!r}); "
        "u = time.perf_counter(); n.slic(i); v = time.perf_counter(); n.slic(i); "
        "w = time.perf_counter(); print(u - t, v - u, w - v)"
    )
    environment = {**os.environ, **({"NUMBA_CACHE_DIR": cache} if cache else {})}
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    ).stdout.split()
    imported, first, second = map(float, output)
    return {"import": imported, "first_call": first, "second_call": second}


def numba_steps_milliseconds(images: list[np.ndarray]) -> dict[str, float]:
    """Where the numba backend's time goes, on its threads: milliseconds of each step (the best
    of 5 per image, the median over the images). One assignment round and one centre update
    are timed from the grid's centres; the k-means is all 10 rounds (and 9 updates)."""
    steps = ("cielab_and_grid", "kmeans", "assignment_round", "centre_update", "connectivity")
    found: dict[str, list[float]] = {step: [] for step in steps}
    for image in images:
        best = dict.fromkeys(steps, float("inf"))
        for _ in range(5):
            took = {}
            took["cielab_and_grid"], (planes, centres, step) = timed(
                numba_slic._prepared, image, 50, 10.0, 0.0
            )
            half_y, half_x, weight = numba_slic._window(*image.shape[:2], len(centres), step)
            took["kmeans"], labels = timed(
                numba_slic._kmeans, planes, centres.copy(), half_y, half_x, weight, 10
            )
            alive = np.ones(len(centres), dtype=bool)
            once = np.full(image.shape[:2], -1, dtype=np.intp)
            took["assignment_round"], _ = timed(
                numba_slic._assign, planes, centres, alive, half_y, half_x, weight, once
            )
            took["centre_update"], _ = timed(
                numba_slic._move_centres, planes, once, centres.copy(), alive
            )
            took["connectivity"], _ = timed(connected_superpixels, labels[0], len(centres))
            best = {step: min(best[step], took[step]) for step in steps}
        for step in steps:
            found[step].append(best[step])
    return {step: 1000 * statistics.median(values) for step, values in found.items()}


def stage_throughput(
    manifest: Path, workers: int, downscale: int, backend: str = "skimage"
) -> float:
    params = {
        "algorithm": "slic",
        "n_segments": 50,
        "compactness": 10,
        "downscale": downscale,
        "backend": backend,
    }
    with tempfile.TemporaryDirectory() as out:
        seconds, _ = timed(
            run_segment,
            manifest,
            "shard00000",
            params,
            Path(out) / "labels.npz",
            Path(out) / "segments.parquet",
            workers=workers,
        )
    return len(pd.read_parquet(manifest)) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_sample_argument(parser)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--step", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    manifest = staged_manifest(args.sample)
    colour = manifest[~manifest["notes"].str.contains("greyscale")]
    rows = colour.iloc[:: args.step].head(args.images).reset_index(drop=True)
    images = [load_rgb(ImageSource.from_row(row)) for row in rows.itertuples()]

    first_path = ImageSource.from_row(next(rows.itertuples())).location
    first_call_seconds(first_path, None)  # fills the usual cache if the code has changed
    with tempfile.TemporaryDirectory() as empty_cache:
        compile_cost = {
            "empty cache (compiles)": first_call_seconds(first_path, empty_cache),
            "disk cache": first_call_seconds(first_path, None),
        }
    segment(images[0], backend="skimage")  # warm-up
    segment(images[0], backend="torch")
    segment(images[0], backend="numba")
    seconds: dict[str, list[float]] = {
        "reference": [],
        "downscale 2": [],
        "downscale 3": [],
        "torch, cpu": [],
        "numba": [],
    }
    agreement: dict[str, dict[str, list[float]]] = {
        name: {"ari": [], "boundary_recall": [], "regions_ratio": []}
        for name in ("downscale 2", "downscale 3", "torch", "numba", "reference, 20 iterations")
    }
    numba_identical = 0
    for image in images:
        took, reference = timed(segment, image, backend="skimage")
        seconds["reference"].append(took)
        candidates = {}
        for factor in (2, 3):
            took, candidates[f"downscale {factor}"] = timed(
                segment, image, backend="skimage", downscale=factor
            )
            seconds[f"downscale {factor}"].append(took)
        took, candidates["torch"] = timed(segment, image, backend="torch")
        seconds["torch, cpu"].append(took)
        took, candidates["numba"] = timed(segment, image, backend="numba")
        seconds["numba"].append(took)
        numba_identical += int(np.array_equal(candidates["numba"], reference))
        candidates["reference, 20 iterations"] = slic(
            image, n_segments=50, compactness=10, start_label=0, max_num_iter=20
        )
        for name, labels in candidates.items():
            agreement[name]["ari"].append(adjusted_rand_score(reference.ravel(), labels.ravel()))
            agreement[name]["boundary_recall"].append(boundary_recall(reference, labels))
            agreement[name]["regions_ratio"].append(
                len(np.unique(labels)) / len(np.unique(reference))
            )

    median = {name: statistics.median(values) for name, values in seconds.items()}
    if torch.cuda.is_available():
        for batch in (1, 64):
            median[f"torch, cuda, batch {batch}"] = cuda_seconds_per_image(images, batch)
    with tempfile.TemporaryDirectory() as folder:
        manifest = Path(folder) / "manifest.parquet"
        write_table(rows.assign(shard="shard00000"), manifest, "manifest")
        throughput = {
            f"downscale {factor}, {workers} worker(s)": stage_throughput(manifest, workers, factor)
            for factor in (1, 2)
            for workers in sorted({1, args.workers})
        }
        throughput |= {
            f"numba, {workers} thread(s)": stage_throughput(manifest, workers, 1, "numba")
            for workers in sorted({1, args.workers})
        }
    result = {
        "device": platform.processor() or "cpu",
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "images": len(images),
        "image_size_median": [
            int(statistics.median(i.shape[0] for i in images)),
            int(statistics.median(i.shape[1] for i in images)),
        ],
        "median_seconds": median,
        "speedup_over_reference": {
            name: median["reference"] / value for name, value in median.items()
        },
        "agreement_with_reference_mean": {
            name: {key: statistics.mean(values) for key, values in measures.items()}
            for name, measures in agreement.items()
        },
        "stage_images_per_second": throughput,
        "numba_identical_to_reference": f"{numba_identical} of {len(images)}",
        "numba_threads": numba.get_num_threads(),
        "numba_first_call_seconds": compile_cost,
        "numba_steps_milliseconds": numba_steps_milliseconds(images),
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
