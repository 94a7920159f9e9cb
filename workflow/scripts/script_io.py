"""What every workflow script does around its stage call: log to the rule's log file, and
report the progress of long loops on the terminal as well.

The Snakemake glue lives with the workflow, not in the library: Snakemake puts this folder on
the path of every script it runs, so the scripts import it as ``script_io``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from secam.integrity import DAMAGED_SUFFIX, DamagedArtifactError, set_aside
from secam.pipeline.common import PROGRESS_LOGGER, limit_threads
from secam.pipeline.explain import ExplanationOutputs, ShardInputs


@contextlib.contextmanager
def logged(snakemake: Any) -> Iterator[None]:
    """Send stdout and stderr of the stage to ``snakemake.log[0]``; log a failure, then raise.

    Progress lines (:class:`secam.pipeline.common.Progress`) go to the log and to the
    terminal: the script's own stderr, which Snakemake leaves on the terminal it runs in.

    A damaged input (:class:`DamagedArtifactError`) is moved aside before the job fails, so
    that the next run sees it missing and reruns the job that writes it; its message goes to
    the terminal as well as to the log.

    Every job runs on the threads Snakemake gives it (:func:`limit_threads`).
    """
    limit_threads(snakemake.threads)
    with _setting_aside_damaged_inputs():
        if not snakemake.log:
            with _progress_to(sys.__stderr__):
                yield
            return
        with (
            open(snakemake.log[0], "w") as log,
            contextlib.redirect_stdout(log),
            contextlib.redirect_stderr(log),
            _progress_to(log, sys.__stderr__),
        ):
            try:
                yield
            except BaseException:
                traceback.print_exc(file=log)
                log.flush()
                print(f"error: see {snakemake.log[0]}", file=sys.__stderr__)
                raise


@contextlib.contextmanager
def _progress_to(*streams: Any) -> Iterator[None]:
    logger = logging.getLogger(PROGRESS_LOGGER)
    handlers = [logging.StreamHandler(stream) for stream in streams]
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # not twice through the root logger
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)


def job_label(snakemake: Any) -> str:
    """The job as its progress lines name it: the rule and its wildcard values
    (``explain_lime efficientnet_lite0 lime shard00001``)."""
    return " ".join([snakemake.rule, *map(str, snakemake.wildcards)])


@contextlib.contextmanager
def _setting_aside_damaged_inputs() -> Iterator[None]:
    try:
        yield
    except DamagedArtifactError as error:
        set_aside(error.path)
        print(
            f"error: damaged artifact {error.path}: {error.problem}; moved to "
            f"{error.path.name}{DAMAGED_SUFFIX}: run snakemake again and the job that writes it "
            "runs again",
            file=sys.__stderr__,
        )
        raise


def shard_inputs(snakemake: Any) -> ShardInputs:
    """The shared inputs of the explain rules, by their names in the rule."""
    return ShardInputs(
        manifest=snakemake.input.manifest,
        shard=snakemake.wildcards.shard,
        labels=snakemake.input.labels,
        segments=snakemake.input.segments,
        predictions=snakemake.input.predictions,
    )


def explanation_outputs(snakemake: Any) -> ExplanationOutputs:
    return ExplanationOutputs(
        explanations=snakemake.output.explanations,
        masks=snakemake.output.masks,
        timings=snakemake.output.timings,
    )
