"""Helpers shared by the stages."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from secam.artifacts import read_table

if TYPE_CHECKING:
    from secam.models.registry import LoadedModel

T = TypeVar("T")

# The logger of the progress lines: the workflow scripts send it to the terminal Snakemake runs
# in as well as to the rule's log (workflow/scripts/script_io.py); unconfigured, it is silent.
PROGRESS_LOGGER = "secam.progress"
# Seconds between two progress lines of one loop: slow enough that the lines of parallel jobs
# stay readable, often enough that a long job is visibly alive.
PROGRESS_EVERY_SECONDS = 30.0


def shard_rows(manifest_path: str | Path, shard: str) -> pd.DataFrame:
    manifest = read_table(manifest_path, "manifest")
    return manifest[manifest["shard"] == shard].sort_values("image_id").reset_index(drop=True)


THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def limit_threads(threads: int) -> int:
    """Hold the job to the ``threads`` it was given, and never more: torch's intra- and
    inter-op pools, numba's, and the BLAS and OpenMP pools of numpy, scipy and scikit-learn.

    On a machine whose other cores are busy, torch with more threads than free cores ran a
    forward pass several times slower than with one (measured in issue 19), so a job uses only
    the threads Snakemake counts for it; the timing tables record the number."""
    from threadpoolctl import threadpool_limits

    threads = max(1, int(threads))
    for variable in THREAD_VARIABLES:  # for libraries loaded after this call
        os.environ[variable] = str(threads)
    threadpool_limits(threads)  # those loaded already
    numba = sys.modules.get("numba")  # SLIC's numba backend: its rows on the job's threads
    if numba is not None:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    torch = sys.modules.get("torch")  # not imported for it: a job without a model stays light
    if torch is not None:
        torch.set_num_threads(threads)
        # settable once per process, before torch first runs operators in parallel
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(threads)
    return threads


def load_configured_model(name: str, config: dict[str, Any], threads: int = 1) -> LoadedModel:
    # torch is imported here, not at module level: the stages without a model (segment,
    # evaluate, report) then start in under a second instead of paying torch's import.
    from secam.models.registry import load_model

    limit_threads(threads)
    options = config["model_options"].get(name, {})
    factory = options.get("factory")
    return load_model(
        name,
        weights=options.get("weights", None if factory else "DEFAULT"),
        target_layer=options.get("target_layer"),
        device=config["device"],
        factory=factory,
        classes=options.get("classes"),
        **({"input_size": tuple(options["input_size"])} if factory else {}),
    )


def batch_size_for(setting: int | dict[str, int], device_type: str) -> int:
    """A config batch size: one integer, or one per device type (``{cpu: 4, cuda: 64}``).

    A device type the mapping does not name (``mps``) takes the ``cpu`` size.
    """
    if isinstance(setting, dict):
        return int(setting.get(device_type, setting["cpu"]))
    return int(setting)


def lime_subset(
    image_ids: Sequence[str], max_images: int | None, seed: int, limit: int | None = None
) -> set[str]:
    """The images LIME explains: all, or ``max_images`` drawn with ``seed`` from the whole
    manifest, so the subset does not depend on how the images are sharded.

    ``limit`` keeps only the first images (by id) of that subset: the segmentation comparison's
    LIME runs on a part of the main run's LIME images, so every image it explains can be
    compared with the main run.
    """
    ordered = sorted(image_ids)
    if max_images is None or max_images >= len(ordered):
        chosen = ordered
    else:
        drawn = np.random.default_rng(seed).choice(len(ordered), size=max_images, replace=False)
        chosen = sorted(ordered[i] for i in drawn)
    return set(chosen if limit is None else chosen[:limit])


def duration(seconds: float) -> str:
    """``40 s``, ``8 min``, ``2 h 5 min``: as precise as a person waiting needs."""
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


class Progress:
    """Whole progress lines for a long per-image loop (never a carriage-return bar: the lines
    of parallel jobs interleave on one terminal).

    A line after the first item (the first estimate of the rate), then one at most every
    ``every`` seconds, then one when the last of ``total`` items is done::

        lime efficientnet_lite0 shard00001: 12/40 images, 17.9 s/image, about 8 min left

    The rate is measured from the construction of the reporter (start it after the model is
    loaded and warmed up). Lines go to ``emit``, by default the :data:`PROGRESS_LOGGER`
    logger at level INFO.
    """

    def __init__(
        self,
        label: str,
        total: int,
        unit: str = "image",
        *,
        every: float = PROGRESS_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        emit: Callable[[str], None] | None = None,
    ) -> None:
        self.label, self.total, self.unit, self.every = label, int(total), unit, every
        self.clock = clock
        self.emit = emit or logging.getLogger(PROGRESS_LOGGER).info
        self.done = 0
        self.start = clock()
        self.last_line: float | None = None

    def advance(self, count: int = 1) -> None:
        """``count`` more items done; emits a line when one is due."""
        self.done += count
        now = self.clock()
        finished = self.done >= self.total
        if not finished and self.last_line is not None and now - self.last_line < self.every:
            return
        self.last_line = now
        elapsed = now - self.start
        per_item = elapsed / self.done
        status = (
            f"done in {duration(elapsed)}"
            if finished
            else f"about {duration(per_item * (self.total - self.done))} left"
        )
        self.emit(
            f"{self.label}: {self.done}/{self.total} {self.unit}s, "
            f"{per_item:.3g} s/{self.unit}, {status}"
        )

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, advancing by one after the loop body has handled each."""
        for item in items:
            yield item
            self.advance()
