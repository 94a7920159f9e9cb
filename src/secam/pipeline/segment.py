"""Segment: superpixels of every image of a shard, computed once and shared by all methods.

With SLIC's numba backend, the default, images are segmented one at a time, each on ``workers``
threads; with skimage's SLIC and the other algorithms (one core each) by ``workers`` processes
at once; with SLIC's torch backend in batches of like-sized images on the run's device (the
next batch decoded meanwhile).
Labels stream to the NPZ as they are found (in manifest order, or in the batches' order); the
table lists the images in manifest order.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secam.artifacts import ArrayWriter, write_table
from secam.config import default
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.pipeline.common import batch_size_for, limit_threads, shard_rows
from secam.segmentation import algorithm_params, segment, segment_batch


def _segment_one(
    source: ImageSource, algorithm: str, options: dict[str, Any]
) -> tuple[np.ndarray, float]:
    """Labels of one image and the seconds the segmentation took (decoding not included)."""
    image = load_rgb(source)
    start = time.perf_counter()
    labels = segment(image, algorithm, **options)
    return labels, time.perf_counter() - start


def _segmented(
    sources: list[ImageSource], algorithm: str, options: dict[str, Any], workers: int
) -> Iterator[tuple[int, np.ndarray, float]]:
    """Each image's position in ``sources`` with its labels and seconds, in that order."""
    if workers <= 1 or len(sources) <= 1:
        for position, source in enumerate(sources):
            yield position, *_segment_one(source, algorithm, options)
        return
    # fork starts a worker in milliseconds and is safe here: this stage starts no threads (it
    # never imports torch). Elsewhere spawn, the platform's default.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(min(workers, len(sources)), mp_context=context) as pool:
        found = pool.map(
            _segment_one, sources, [algorithm] * len(sources), [options] * len(sources)
        )
        yield from ((position, *result) for position, result in enumerate(found))


def _segmented_on_device(
    sources: list[ImageSource],
    shapes: list[tuple[int, int]],
    options: dict[str, Any],
    device: str,
    batch_size: int | dict[str, int],
    threads: int,
) -> Iterator[tuple[int, np.ndarray, float]]:
    """SLIC's torch backend: ``batch_size`` images at a time on ``device``, each image's
    position in ``sources`` with its labels; each image is charged its batch's seconds over the
    batch's size (decoding not included: it overlaps the previous batch's segmentation). A
    batch is padded to its largest image, so images go in order of their manifest ``shapes``
    (height, width): portrait and landscape photographs are not mixed."""
    from secam.models.registry import resolve_device

    target = resolve_device(device)
    limit_threads(threads)
    size = batch_size_for(batch_size, target.type)
    order = sorted(range(len(sources)), key=lambda position: (shapes[position], position))
    batches = [order[start : start + size] for start in range(0, len(order), size)]
    # the next batch is decoded by ``threads`` threads while the device segments this one
    with ThreadPoolExecutor(max(1, threads)) as pool:

        def decoding(positions: list[int]) -> list[Future[np.ndarray]]:
            return [pool.submit(load_rgb, sources[position]) for position in positions]

        pending = decoding(batches[0]) if batches else []
        for index, positions in enumerate(batches):
            images = [future.result() for future in pending]
            if index + 1 < len(batches):
                pending = decoding(batches[index + 1])
            begin = time.perf_counter()
            labels = segment_batch(images, "slic", device=str(target), **options)  # on host
            seconds = (time.perf_counter() - begin) / len(images)
            yield from (
                (position, found, seconds)
                for position, found in zip(positions, labels, strict=True)
            )


def run_segment(
    manifest_path: str | Path,
    shard: str,
    params: dict[str, Any],
    labels_path: str | Path,
    table_path: str | Path,
    algorithm: str | None = None,
    workers: int = 1,
    device: str = "cpu",
) -> None:
    """Label images of the shard with ``params["algorithm"]``.

    ``params`` is the config's ``segmentation`` section; ``algorithm`` overrides the algorithm
    named there (the segmentation comparison's alternatives). ``workers``: processes that
    segment at once (threads of the torch backend); the labels do not depend on it. ``device``
    (the config's): where SLIC's torch backend runs.
    """
    algorithm = algorithm or params["algorithm"]
    options = algorithm_params(params, algorithm)
    rows = shard_rows(manifest_path, shard)
    sources = [ImageSource.from_row(row) for row in rows.itertuples()]
    image_ids = rows["image_id"].tolist()
    records = {}
    with ArrayWriter(labels_path) as labels_out:
        if algorithm == "slic" and options["backend"] == "torch":
            batch_size = params.get("batch_size", default("segmentation", "batch_size"))
            shapes = list(zip(rows["height"], rows["width"], strict=True))
            results = _segmented_on_device(sources, shapes, options, device, batch_size, workers)
        elif algorithm == "slic" and options["backend"] == "numba":
            from secam.numba_slic import warm_up  # numba only where asked for

            limit_threads(workers)  # one image at a time, its rows on the job's threads
            warm_up()  # compiling or loading the machine code is no image's segmentation time
            results = _segmented(sources, algorithm, options, workers=1)
        else:
            results = _segmented(sources, algorithm, options, workers)
        for position, labels, seconds in results:
            image_id = image_ids[position]
            labels_out.add(image_id, labels)
            records[position] = {
                "image_id": image_id,
                "algorithm": algorithm,
                "n_regions": int(labels.max()) + 1,
                "seconds": seconds,
            }
    write_table(
        pd.DataFrame(
            [records[position] for position in sorted(records)],
            columns=["image_id", "algorithm", "n_regions", "seconds"],
        ),
        table_path,
        "segments",
    )
