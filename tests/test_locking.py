"""The results folder's own lock (secam.locking), with real processes as holders."""

import json
import socket
import subprocess
import sys

import pytest

from secam.locking import LOCK_NAME, LockHolder, ResultsLock, ResultsLockedError

HOLD = (
    "import sys, time\n"
    "from secam.locking import ResultsLock\n"
    "ResultsLock(sys.argv[1]).acquire()\n"
    "print('locked', flush=True)\n"
    "time.sleep(600)\n"
)


@pytest.fixture
def other_run(tmp_path):
    """Another process holding the lock of ``tmp_path / 'results'``."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "results")], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "locked"
    yield process
    process.kill()
    process.wait()


def test_a_live_holder_is_named_and_the_second_run_refused(tmp_path, other_run):
    lock = ResultsLock(tmp_path / "results")
    with pytest.raises(ResultsLockedError) as refused:
        lock.acquire()
    message = str(refused.value)
    assert f"in use by another run: pid {other_run.pid} on host {socket.gethostname()}" in message
    assert "started 20" in message and "wait for it to finish" in message
    lock.release()  # not ours: left alone
    assert lock.holder().pid == other_run.pid


def test_the_lock_of_a_dead_run_is_reported_and_replaced(tmp_path, other_run):
    other_run.kill()
    other_run.wait()
    lock = ResultsLock(tmp_path / "results")
    [note] = lock.acquire()
    assert f"removed the stale lock of a run that no longer exists (pid {other_run.pid}" in note
    assert lock.holder().is_this_process()
    assert lock.acquire() == []  # taken again by its holder: nothing to do
    lock.release()
    assert not (tmp_path / "results" / LOCK_NAME).exists()


def test_a_reused_pid_is_not_taken_for_the_holder(tmp_path):
    """A lock naming a live pid whose process started at another time is stale: the pid was
    reused by an unrelated process."""
    results = tmp_path / "results"
    results.mkdir()
    me = LockHolder.this_process()
    if me.process_start is None:
        pytest.skip("no /proc here: process start times cannot be compared")
    stale = {**me.__dict__, "pid": 1, "process_start": -1}  # pid 1 lives, started elsewhen
    (results / LOCK_NAME).write_text(json.dumps(stale))
    [note] = ResultsLock(results).acquire()
    assert "pid 1 on host" in note


def test_a_lock_from_another_host_is_refused_with_how_to_clear_it(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    holder = {**LockHolder.this_process().__dict__, "host": "node042", "pid": 4242}
    (results / LOCK_NAME).write_text(json.dumps(holder))
    with pytest.raises(ResultsLockedError) as refused:
        ResultsLock(results).acquire()
    message = str(refused.value)
    assert "pid 4242 on host node042" in message and "runs on another host" in message
    assert f"remove {results / LOCK_NAME} and run again" in message


def test_the_scheduler_run_is_recorded_and_known_to_the_run_that_replaces_the_lock(
    tmp_path, other_run
):
    """A cluster run's lock names its SLURM jobs; the run that finds it stale learns the name
    (secam.scheduler waits for those jobs)."""
    results = tmp_path / "results"
    record = (
        "import sys\n"
        "from secam.locking import ResultsLock\n"
        "lock = ResultsLock(sys.argv[1])\n"
        "lock.acquire()\n"
        "lock.record_scheduler_run('run-7f3a')\n"
    )
    other_run.kill()  # the fixture's holder; this one records a run, then dies
    other_run.wait()
    subprocess.run([sys.executable, "-c", record, str(results)], check=True)
    assert ResultsLock(results).holder().scheduler_run == "run-7f3a"
    assert "SLURM jobs named run-7f3a" in ResultsLock(results).holder().describe()
    lock = ResultsLock(results)
    [note] = lock.acquire()
    assert "SLURM jobs named run-7f3a" in note
    assert lock.replaced is not None and lock.replaced.scheduler_run == "run-7f3a"
    assert lock.holder().scheduler_run is None  # the new holder has submitted nothing yet
    with pytest.raises(ResultsLockedError):
        ResultsLock(tmp_path / "elsewhere").record_scheduler_run("run-8")


def test_a_lock_from_another_host_names_the_scancel_for_its_jobs(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    holder = {
        **LockHolder.this_process().__dict__,
        "host": "login2",
        "pid": 4242,
        "scheduler_run": "run-7f3a",
    }
    (results / LOCK_NAME).write_text(json.dumps(holder))
    with pytest.raises(ResultsLockedError) as refused:
        ResultsLock(results).acquire()
    assert "cancel the jobs it left with `scancel --name=run-7f3a`" in str(refused.value)
