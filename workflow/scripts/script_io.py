"""What every workflow script does around its stage call: log to the rule's log file.

The Snakemake glue lives with the workflow, not in the library: Snakemake puts this folder on
the path of every script it runs, so the scripts import it as ``script_io``.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from secam.integrity import DAMAGED_SUFFIX, DamagedArtifactError, set_aside
from secam.pipeline.explain import ExplanationOutputs, ShardInputs


@contextlib.contextmanager
def logged(snakemake: Any) -> Iterator[None]:
    """Send stdout and stderr of the stage to ``snakemake.log[0]``; log a failure, then raise.

    A damaged input (:class:`DamagedArtifactError`) is moved aside before the job fails, so
    that the next run sees it missing and reruns the job that writes it; its message goes to
    the terminal as well as to the log.
    """
    with _setting_aside_damaged_inputs():
        if not snakemake.log:
            yield
            return
        with (
            open(snakemake.log[0], "w") as log,
            contextlib.redirect_stdout(log),
            contextlib.redirect_stderr(log),
        ):
            try:
                yield
            except BaseException:
                traceback.print_exc(file=log)
                log.flush()
                print(f"error: see {snakemake.log[0]}", file=sys.__stderr__)
                raise


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
