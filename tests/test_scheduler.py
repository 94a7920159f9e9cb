"""secam.scheduler: runtime requests, and a killed run's SLURM jobs found and waited for. The
real cluster is in tests/workflow/test_slurm.py; here squeue is a script that answers as
SLURM's does, one answer per call, so that every path runs on any machine."""

import re
import stat
from pathlib import Path

import pytest

from secam.config import ConfigError
from secam.scheduler import (
    EXPECTED_SECONDS_PER_IMAGE,
    MINIMUM_RUNTIME_MINUTES,
    SchedulerError,
    expected_seconds_per_image,
    runtime_minutes,
    slurm_jobs,
    wait_for_jobs,
)

RUN = "2ae8f459-e2fa-4754-b7c9-e356b2eb7578"


def test_each_retry_asks_for_twice_the_runtime_also_at_the_minimum():
    # the minimum applies to the first attempt; the doubling is never swallowed by it
    assert [runtime_minutes(0.1, 10, attempt) for attempt in (1, 2, 3)] == [
        MINIMUM_RUNTIME_MINUTES,
        2 * MINIMUM_RUNTIME_MINUTES,
        4 * MINIMUM_RUNTIME_MINUTES,
    ]
    # 1000 images at 2 s: twice the expected 33.3 minutes, rounded up, then doubled
    assert [runtime_minutes(2.0, 1000, attempt) for attempt in (1, 2)] == [67, 134]


def test_every_rule_with_a_runtime_has_an_expected_time():
    rules = Path(__file__).resolve().parents[1] / "workflow" / "rules"
    declared = {
        name
        for path in rules.glob("*.smk")
        for name in re.findall(r'runtime=runtime\("(\w+)"\)', path.read_text())
    }
    assert declared == set(EXPECTED_SECONDS_PER_IMAGE)
    assert expected_seconds_per_image("explain_lime", "lime") == 10.0
    assert expected_seconds_per_image("explain_lime", "lime-batched") == 0.5
    assert expected_seconds_per_image("activate") == 2.0


@pytest.fixture
def squeue(tmp_path, monkeypatch):
    """Install a fake squeue that prints answers[i] on its i-th call (the last one from then
    on) and records its arguments; returns a function taking the answers."""
    folder = tmp_path / "bin"
    folder.mkdir()
    calls = tmp_path / "calls"
    calls.write_text("")

    def answer(*answers: str, exit_status: int = 0) -> Path:
        for index, text in enumerate(answers):
            (tmp_path / f"answer{index}").write_text(text)
        script = folder / "squeue"
        script.write_text(
            "#!/bin/sh\n"
            f'echo "$*" >> {calls}\n'
            f"n=$(wc -l < {calls})\n"
            f"i=$((n - 1)); [ $i -ge {len(answers)} ] && i={len(answers) - 1}\n"
            f'cat "{tmp_path}/answer$i"\n'
            f'[ {exit_status} -eq 0 ] || echo "slurm_load_jobs error: Unable to contact" >&2\n'
            f"exit {exit_status}\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        return calls

    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return answer


def test_slurm_jobs_reads_squeue_in_submission_order(squeue):
    calls = squeue(
        "12|RUNNING|rule_activate_wildcards_lite0_shard00000|10:00\n"
        "9|COMPLETED|rule_stage|30:00\n"
        "13|PENDING|rule_segment_wildcards_shard00000|1-00:00:00\n"
    )
    jobs = slurm_jobs(RUN)
    assert [(job.job_id, job.state, job.finished) for job in jobs] == [
        ("9", "COMPLETED", True),
        ("12", "RUNNING", False),
        ("13", "PENDING", False),
    ]
    assert jobs[1].comment == "rule_activate_wildcards_lite0_shard00000"
    assert jobs[2].time_limit == "1-00:00:00"
    # the run's jobs only, finished ones included
    assert f"--name={RUN}" in calls.read_text() and "--states=all" in calls.read_text()


def test_a_failing_squeue_is_an_error_naming_it(squeue):
    squeue("", exit_status=1)
    with pytest.raises(SchedulerError, match="Unable to contact"):
        slurm_jobs(RUN)


def test_wait_for_jobs_polls_until_none_is_queued_or_running(squeue):
    squeue(
        "1|COMPLETED|rule_stage|30:00\n2|RUNNING|rule_segment|10:00\n3|PENDING|rule_activate|10:00\n",
        "1|COMPLETED|rule_stage|30:00\n2|COMPLETED|rule_segment|10:00\n3|RUNNING|rule_activate|10:00\n",
        "1|COMPLETED|rule_stage|30:00\n2|COMPLETED|rule_segment|10:00\n3|TIMEOUT|rule_activate|10:00\n",
    )
    notes, sleeps = [], []
    waited = wait_for_jobs(RUN, notes.append, poll_seconds=7.0, sleep=sleeps.append)
    assert [job.job_id for job in waited] == ["2", "3"]
    assert sleeps == [7.0, 7.0]
    [note] = notes  # said once, not at every poll
    assert f"waiting for 2 SLURM jobs of the killed run {RUN} (job ids 2, 3)" in note
    assert f"`scancel --name={RUN}`" in note


def test_nothing_to_wait_for_returns_at_once(squeue):
    squeue("1|COMPLETED|rule_stage|30:00\n")
    notes = []
    assert wait_for_jobs(RUN, notes.append, sleep=pytest.fail) == []
    assert notes == []


def test_without_squeue_the_run_stops_saying_how_to_cancel_the_jobs(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError) as stopped:
        wait_for_jobs(RUN, print, sleep=pytest.fail)
    message = str(stopped.value)
    assert "squeue is not available" in message and f"`scancel --name={RUN}`" in message
