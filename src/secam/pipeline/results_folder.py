"""Before a run plans any job: its inputs checked, its results folder locked and made sound.

The Snakefile calls :func:`prepare_results_folder` once, in Snakemake's main process (not in the
jobs a cluster executor starts), while it parses the workflow. Each step is here, where it can
be tested without Snakemake:

1. the dataset files and models exist (:func:`secam.pipeline.preflight.check_run_inputs`);
2. the results folder is locked for this run (:class:`secam.locking.ResultsLock`), the lock of a
   run that no longer exists replaced;
3. when that run had submitted cluster jobs, they are waited for: planning now would submit
   them a second time;
4. what killed writers left (temporary files) is removed, and damaged cached artifacts are moved
   aside (:func:`secam.integrity.set_aside`), so that the jobs that write them run again.

A dry run changes nothing: it only reports what a run would find.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secam.integrity import damaged_artifacts, set_aside, stale_temporaries
from secam.locking import ResultsLock
from secam.pipeline.preflight import check_run_inputs
from secam.scheduler import wait_for_jobs


def prepare_results_folder(
    config: dict[str, Any],
    results: str | Path,
    *,
    dry_run: bool,
    note: Callable[[str], None],
) -> ResultsLock | None:
    """Steps 1 to 4 of the module's docstring for a run of the validated ``config`` writing to
    ``results``; each finding is one ``note``. Returns the lock this process now holds, released
    when the process exits (None for a dry run, which takes no lock).

    Raises :class:`secam.config.ConfigError` for a missing input or a scheduler that cannot be
    asked, and :class:`secam.locking.ResultsLockedError` when another run holds the folder."""
    check_run_inputs(config, weights=not dry_run)
    lock = ResultsLock(results)
    if dry_run:
        holder = lock.holder()
        if holder is not None and not holder.is_gone():
            note(f"{results} is in use by another run ({holder.describe()})")
            return None
        for damage in damaged_artifacts(results):
            note(f"{damage.path} is damaged ({damage.problem}); a run rebuilds it")
        return None
    notes = lock.acquire()
    atexit.register(lock.release)
    for message in notes:
        note(message)
    if lock.replaced is not None and lock.replaced.scheduler_run is not None:
        # The killed run's cluster jobs outlive it: planning now would submit them again. Its
        # run id stays in the lock until this run submits jobs of its own, so that a run that
        # finds this one killed while waiting waits for them too.
        lock.record_scheduler_run(lock.replaced.scheduler_run)
        wait_for_jobs(lock.replaced.scheduler_run, note)
    for path in stale_temporaries(results):
        path.unlink(missing_ok=True)
        note(f"removed {path}, left by a writer that was killed")
    for damage in damaged_artifacts(results):
        moved = set_aside(damage.path)
        note(
            f"damaged artifact {damage.path}: {damage.problem}; moved to {moved.name}, "
            "the job that writes it runs again"
        )
    return lock
