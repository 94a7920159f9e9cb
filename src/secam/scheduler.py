"""What a cluster scheduler sees of a run: the runtime each job asks for, and the SLURM jobs a
run submitted, found again after its main Snakemake process died.

SLURM jobs outlive the Snakemake process that submitted them. When that process is killed, its
queued and running jobs go on; a second run that submitted the same jobs again would run each of
them twice, two copies writing the same files. snakemake-executor-plugin-slurm names every job
of a run after the run's id (``--job-name <run id>``), which the results lock records
(:meth:`secam.locking.ResultsLock.record_scheduler_run`); the next run on the folder finds the
dead run's jobs by that name and waits for them (:func:`wait_for_jobs`) before it plans, so that
what they finish is kept and nothing runs twice. ``scancel --name=<run id>`` cancels them instead.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from secam.config import ConfigError
from secam.errors import SecamError

# The shortest runtime a job asks for (minutes): a job's start-up (interpreter, libraries, the
# model) takes tens of seconds on a busy node, and SLURM counts time limits in whole minutes.
MINIMUM_RUNTIME_MINUTES = 10

# Expected seconds per image of each per-shard rule on a GPU node (docs/performance.md#scaling),
# the basis of every job's runtime request. "lime" is the lime package, which builds its
# perturbed images on the CPU: about 20x lime-batched, whose perturbations stay on the device.
EXPECTED_SECONDS_PER_IMAGE = {
    "segment": 0.5,
    "activate": 2.0,
    "explain_maps": 0.5,
    "explain_lime": {"lime": 10.0, "lime-batched": 0.5},
    "evaluate": 0.1,
    "baselines": 1.0,
    "faithfulness": 2.0,
    "sanity": 2.0,
    "explain_maps_compared": 0.2,
}

# squeue's states of a job that will not run again (anything else is queued or running)
FINISHED_STATES = frozenset(
    {
        "BOOT_FAIL",
        "CANCELLED",
        "COMPLETED",
        "DEADLINE",
        "FAILED",
        "NODE_FAIL",
        "OUT_OF_MEMORY",
        "PREEMPTED",
        "REVOKED",
        "SPECIAL_EXIT",
        "TIMEOUT",
    }
)


class SchedulerError(SecamError, RuntimeError):
    """The scheduler could not be asked about a run's jobs."""


def runtime_minutes(seconds_per_image: float, shard_size: int, attempt: int) -> int:
    """The runtime (minutes) a job on one shard asks for: twice the expected time, at least
    :data:`MINIMUM_RUNTIME_MINUTES`, and twice that again on each retry (``attempt`` 1 is the
    first), so that a job killed at its time limit gets more time whatever the shard size."""
    first = max(MINIMUM_RUNTIME_MINUTES, math.ceil(2 * seconds_per_image * shard_size / 60))
    return first * 2 ** (attempt - 1)


def expected_seconds_per_image(rule: str, method: str | None = None) -> float:
    """:data:`EXPECTED_SECONDS_PER_IMAGE` of ``rule`` (of ``method``, where it depends on it)."""
    expected = EXPECTED_SECONDS_PER_IMAGE[rule]
    return expected[method] if isinstance(expected, dict) else expected


@dataclass(frozen=True)
class SchedulerJob:
    """One SLURM job as squeue lists it."""

    job_id: str
    state: str
    comment: str  # the plugin's "rule_<rule>_wildcards_<values>"
    time_limit: str

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


def slurm_jobs(run_id: str) -> list[SchedulerJob]:
    """Every job squeue still knows of the run named ``run_id``, finished ones included (for
    as long as the cluster's MinJobAge keeps them), in submission order."""
    if shutil.which("squeue") is None:
        raise SchedulerError("squeue is not available on this machine")
    command = [
        "squeue",
        "--noheader",
        "--states=all",
        f"--name={run_id}",
        "--format=%i|%T|%k|%l",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SchedulerError(f"{' '.join(command)} failed: {result.stderr.strip()}")
    jobs = [
        SchedulerJob(*line.split("|", 3)) for line in result.stdout.splitlines() if line.strip()
    ]
    return sorted(jobs, key=lambda job: int(job.job_id.split("_")[0]))


def wait_for_jobs(
    run_id: str,
    note: Callable[[str], None],
    poll_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SchedulerJob]:
    """Wait until no job of the run ``run_id`` is queued or running; return the jobs that were.

    Raises :class:`secam.config.ConfigError`, saying what to do, where the scheduler cannot be
    asked: planning again while those jobs may still run would submit them a second time."""
    waited: dict[str, SchedulerJob] = {}
    while True:
        try:
            active = [job for job in slurm_jobs(run_id) if not job.finished]
        except SchedulerError as error:
            raise ConfigError(
                f"the run that held this results folder submitted SLURM jobs named {run_id}, "
                f"and they cannot be checked from here ({error}). Run again where squeue "
                f"works, or cancel them first with `scancel --name={run_id}`"
            ) from None
        if not active:
            return list(waited.values())
        if not waited:
            note(
                f"waiting for {len(active)} SLURM jobs of the killed run {run_id} (job ids "
                f"{', '.join(job.job_id for job in active)}) to finish, so that none runs "
                f"twice; `scancel --name={run_id}` cancels them instead, and this run then "
                "runs what they leave unfinished"
            )
        waited.update({job.job_id: job for job in active})
        sleep(poll_seconds)
