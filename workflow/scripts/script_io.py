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

from secam.errors import SecamError
from secam.integrity import DamagedArtifactError, set_aside
from secam.pipeline.common import PROGRESS_LOGGER, limit_threads
from secam.pipeline.explain import ExplanationOutputs, ShardInputs


@contextlib.contextmanager
def logged(snakemake: Any) -> Iterator[None]:
    """Send stdout and stderr of the stage to ``snakemake.log[0]``; log a failure, then stop.

    Progress lines (:class:`secam.pipeline.common.Progress`) go to the log and to the
    terminal: the script's own stderr, which Snakemake leaves on the terminal it runs in.

    An error meant for the user (:class:`secam.errors.SecamError`: a bad input, a damaged
    cache, no usable image, ...) is its message, ``error: <message>``, on the terminal and in
    the log (which the profiles' ``show-failed-logs`` prints too), without a traceback; any
    other exception is a fault of secam, and its traceback goes to the log. A damaged input
    (:class:`secam.integrity.DamagedArtifactError`) is moved aside before the job fails, so that
    the next run sees it missing and reruns the job that writes it.

    Every job runs on the threads Snakemake gives it (:func:`limit_threads`).
    """
    limit_threads(snakemake.threads)
    log_file = snakemake.log[0] if snakemake.log else None
    try:
        with _to_log(log_file), _setting_aside_damaged_inputs():
            yield
    except SecamError as error:
        print(f"error: {error}", file=sys.__stderr__)
        raise SystemExit(1) from None


@contextlib.contextmanager
def _to_log(log_file: str | None) -> Iterator[None]:
    """stdout, stderr and a failure (its message, or its traceback when it is no
    :class:`SecamError`) to ``log_file``; progress to it and the terminal. Without a log file,
    progress goes to the terminal only."""
    if log_file is None:
        with _progress_to(sys.__stderr__):
            yield
        return
    with (
        open(log_file, "w") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
        _progress_to(log, sys.__stderr__),
    ):
        try:
            yield
        except SecamError as error:
            print(f"error: {error}", file=log)
            raise
        except BaseException:
            traceback.print_exc(file=log)
            log.flush()
            print(f"error: see {log_file}", file=sys.__stderr__)
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
        raise DamagedArtifactError(error.path, error.problem, moved_aside=True) from error


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
