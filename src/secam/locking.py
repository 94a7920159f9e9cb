"""One run at a time per results folder.

Snakemake's own lock lives in the working directory's ``.snakemake/``, so two checkouts (or two
working directories) writing one results folder do not see each other, and a lock left by a
killed run has to be cleared by hand. This lock lives in the results folder itself
(``<results>/.secam.lock``) and says who holds it (host, pid, start time, command, and on a
cluster the scheduler's name for the run's jobs). A lock whose holder is gone (same host, process
dead) is stale: it is reported and replaced, and :attr:`ResultsLock.replaced` says whose it was,
so that the jobs the dead run left on a cluster can be waited for (secam.scheduler). A lock held
on another host cannot be checked from here: the run is refused with what to do.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from secam.errors import SecamError

LOCK_NAME = ".secam.lock"


class ResultsLockedError(SecamError, RuntimeError):
    """Another run holds the results folder."""


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid from
    the original process; ``None`` where /proc does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after it
    return int(stat.rsplit(")", 1)[1].split()[19])


def _alive(pid: int, start: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    current = _process_start(pid)
    return start is None or current is None or current == start


@dataclass(frozen=True)
class LockHolder:
    host: str
    pid: int
    started: str
    process_start: int | None
    cwd: str
    command: str
    # the scheduler's name for the run's cluster jobs (SLURM job name), once they are submitted
    scheduler_run: str | None = None

    @classmethod
    def this_process(cls) -> LockHolder:
        return cls(
            host=socket.gethostname(),
            pid=os.getpid(),
            started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            process_start=_process_start(os.getpid()),
            cwd=os.getcwd(),
            command=" ".join(sys.argv),
        )

    def describe(self) -> str:
        jobs = f", SLURM jobs named {self.scheduler_run}" if self.scheduler_run else ""
        return (
            f"pid {self.pid} on host {self.host}, started {self.started} in {self.cwd} "
            f"({self.command}{jobs})"
        )

    def is_this_process(self) -> bool:
        me = LockHolder.this_process()
        return (self.host, self.pid, self.process_start) == (me.host, me.pid, me.process_start)

    def is_gone(self) -> bool:
        """True only when it is certain: same host and the process no longer exists."""
        return self.host == socket.gethostname() and not _alive(self.pid, self.process_start)


class ResultsLock:
    """``<results>/.secam.lock``: :meth:`acquire` it before writing into the folder."""

    def __init__(self, results: str | Path) -> None:
        # absolute: Snakemake changes back to the launch directory before the lock is released
        self.results = Path(results).absolute()
        self.path = self.results / LOCK_NAME
        # the holder of the stale lock that acquire() replaced, if it replaced one
        self.replaced: LockHolder | None = None

    def holder(self) -> LockHolder | None:
        """Who holds the lock (``None``: nobody); a lock file being written is waited for."""
        for _ in range(50):
            try:
                return LockHolder(**json.loads(self.path.read_text()))
            except FileNotFoundError:
                return None
            except (ValueError, TypeError):
                time.sleep(0.02)  # created but not yet written by its holder
        raise ResultsLockedError(
            f"results folder {self.results} has an unreadable lock file {self.path}; if no "
            "run is using this folder, remove that file and run again"
        )

    def acquire(self) -> list[str]:
        """Take the lock; return notes on what was done (a stale lock replaced). Raises
        :class:`ResultsLockedError` naming the holder when another live run has it."""
        self.results.mkdir(parents=True, exist_ok=True)
        notes: list[str] = []
        me = LockHolder.this_process()
        for _ in range(3):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.holder()
                if holder is None:
                    continue  # released in between
                if holder.is_this_process():
                    return notes
                if not holder.is_gone():
                    raise ResultsLockedError(self._refusal(holder)) from None
                notes.append(
                    f"removed the stale lock of a run that no longer exists ({holder.describe()}); "
                    "its unfinished jobs are rerun"
                )
                self.replaced = holder
                self._remove_stale()
                continue
            with os.fdopen(handle, "w") as stream:
                stream.write(json.dumps(asdict(me)) + "\n")
            return notes
        raise ResultsLockedError(f"could not lock {self.results}: {self.path} keeps changing")

    def record_scheduler_run(self, run_id: str) -> None:
        """Add the scheduler's name for this run's jobs to the lock this process holds."""
        holder = self.holder()
        if holder is None or not holder.is_this_process():
            raise ResultsLockedError(f"{self.path} is not held by this process")
        # written beside, then renamed: a reader never sees a half-written lock
        updated = self.path.with_name(f"{LOCK_NAME}.{os.getpid()}.tmp")
        updated.write_text(json.dumps(asdict(replace(holder, scheduler_run=run_id))) + "\n")
        os.replace(updated, self.path)

    def _remove_stale(self) -> None:
        # rename first: of two runs that find the same stale lock, only one removes it
        claimed = self.path.with_name(f"{LOCK_NAME}.stale.{os.getpid()}")
        try:
            os.replace(self.path, claimed)
        except FileNotFoundError:
            return
        claimed.unlink(missing_ok=True)

    def _refusal(self, holder: LockHolder) -> str:
        same_host = holder.host == socket.gethostname()
        if same_host:
            advice = "wait for it to finish, or stop it, then run again"
        else:
            cancel = (
                f", cancel the jobs it left with `scancel --name={holder.scheduler_run}`"
                if holder.scheduler_run
                else ""
            )
            advice = (
                "it runs on another host, so this one cannot tell whether it is still alive: "
                f"if it has ended (killed, node lost){cancel}, remove {self.path} and run again"
            )
        return (
            f"results folder {self.results} is in use by another run: {holder.describe()}. "
            f"Two runs writing one results folder would overwrite each other's files; {advice}"
        )

    def release(self) -> None:
        """Remove the lock if this process holds it."""
        try:
            holder = self.holder()
        except ResultsLockedError:
            return
        if holder is not None and holder.is_this_process():
            self.path.unlink(missing_ok=True)
