"""The workflow on a real SLURM, through profiles/slurm as shipped: its placeholders filled, and
nothing else changed but what a test says. The cluster is the single-node one that
.test/cluster/slurm.sh starts (partitions cpu and gpu, one GPU backed by /dev/null, no
accounting database, so job states come from squeue); .ci/run starts it, and these tests skip,
with the script's reason, where it is not running and cannot be started.

Runs use .test/config/scale.yaml (tests/workflow/workflow_runs.py; one image, SeCAM and seeded
LIME: 8 SLURM jobs, the shard's ten jobs as one), not the .test config: on this two-core node
every model job takes both cores, and SLURM ran the .test config's 78 jobs (before the profile
grouped them) one after another, at about 25 minutes for the whole."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from secam.artifacts import read_table
from secam.locking import ResultsLock
from secam.scheduler import SchedulerJob, slurm_jobs

from ..conftest import REPO, run_snakemake
from ..user_models import LOAD_SECONDS_VARIABLE
from .workflow_runs import (
    assert_same_results,
    command,
    filled_profile,
    planned_jobs,
    run,
    scale_workdir,
    start,
    user_model_workdir,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

CLUSTER_SCRIPT = REPO / ".test" / "cluster" / "slurm.sh"
# The plugin's first status check comes 40 s after a submission, and later ones up to 3 min
# apart: right for a real cluster, but most of these tests' time on one whose jobs take 10 s.
QUICK_STATUS_CHECKS = (
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--seconds-between-status-checks",
    "1",
)


@pytest.fixture(scope="module")
def slurm_cluster():
    """The test cluster, started here if its packages are installed (and stopped after);
    otherwise the tests skip with the reason."""
    if subprocess.run(["bash", str(CLUSTER_SCRIPT), "status"], check=False).returncode == 0:
        yield
        return
    started = subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), "start", "--no-install"],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        pytest.skip(
            f"no SLURM cluster: {started.stderr.strip()} (.ci/run starts one with "
            f"`bash {CLUSTER_SCRIPT.relative_to(REPO)} start`, as root)"
        )
    yield
    subprocess.run(["bash", str(CLUSTER_SCRIPT), "stop"], check=False)


def slurm_args(profile: Path) -> list[str]:
    """What a run on the cluster adds to the local command line."""
    return ["--workflow-profile", str(profile), *QUICK_STATUS_CHECKS]


def run_id_of(output: str) -> str:
    """The plugin's name for a run's jobs, as it prints it at the start."""
    found = re.findall(r"SLURM run ID: (\S+)", output)
    assert len(found) == 1, output[-3000:]
    return found[0]


def submitted_jobs(output: str) -> list[str]:
    """What a Snakemake run sent to the executor, named as the plugin names each SLURM job:
    a group job by its group and its rules (sorted, at most five), another job by its rule."""
    names = []
    for group in re.split(r"Group job ", output)[1:]:
        members = re.findall(r"^    (?:rule|checkpoint) (\w+):$", group, flags=re.MULTILINE)
        rules = sorted(set(members))
        rules = [*rules[:5], "..."] if len(rules) > 5 else rules
        names.append(f"{group.split()[0]}_{'_'.join(rules)}")
    names += [job.rule for job in planned_jobs(output) if job.group is None and not job.local]
    return sorted(names)


def job_names(jobs: list[SchedulerJob]) -> list[str]:
    """The plugin's comment of each job without its "rule_" and wildcards."""
    return sorted(re.match(r"rule_(.+?)(?:_wildcards_.*)?$", job.comment)[1] for job in jobs)


def assert_no_job_completed_twice(jobs: list[SchedulerJob]) -> None:
    """Each (rule, wildcards) completed by exactly one SLURM job."""
    completed = [job.comment for job in jobs if job.state == "COMPLETED"]
    assert len(completed) == len(set(completed)), sorted(completed)


def test_a_run_on_slurm_gives_the_local_results_one_job_per_submission(
    slurm_cluster, scale_run, tmp_path
):
    workdir = scale_workdir(tmp_path / "run")
    result = run(workdir, *slurm_args(filled_profile(tmp_path / "profile")))
    output = result.stdout + result.stderr
    jobs = slurm_jobs(run_id_of(output))
    assert all(job.state == "COMPLETED" for job in jobs), jobs
    assert_no_job_completed_twice(jobs)
    # what Snakemake submitted is what SLURM ran, one job each: the shard's ten jobs as one
    assert job_names(jobs) == submitted_jobs(output)
    grouped = [job for job in planned_jobs(output) if job.group == "shard"]
    assert len(grouped) == 10 and output.count("Group job shard (jobs in") == 1
    assert len(jobs) == 1 + 1 + 6  # stage, the shard, collect and five tables and figures
    assert_same_results(scale_run, workdir / "results")


def _start(workdir: Path, profile: Path, log: Path) -> subprocess.Popen:
    """The same command in the background, its output to ``log``."""
    with log.open("w") as stream:
        return start(workdir, *slurm_args(profile), output=stream)


def _kill_with_jobs_in_flight(workdir: Path, profile: Path) -> tuple[str, list[SchedulerJob]]:
    """Start the run and kill -9 its main process once the shard's SLURM job runs; return the
    run's id and the jobs then queued or running."""
    log = workdir / "killed.txt"
    process = _start(workdir, profile, log)
    seen: dict[str, list[SchedulerJob]] = {}

    def shard_job_in_flight() -> bool:
        found = re.search(r"SLURM run ID: (\S+)", log.read_text())
        if found:
            seen[found[1]] = [job for job in slurm_jobs(found[1]) if not job.finished]
            return any(job.comment.startswith("rule_shard_") for job in seen[found[1]])
        return False

    try:
        wait_for(shard_job_in_flight, process, "shard's SLURM job in flight", every=0.2)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    [(run_id, in_flight)] = seen.items()
    # the lock the killed run left names its jobs
    assert ResultsLock(workdir / "results").holder().scheduler_run == run_id
    return run_id, in_flight


def test_after_a_kill_9_the_plain_rerun_waits_for_the_killed_runs_jobs(
    slurm_cluster, scale_run, tmp_path
):
    """The killed run's queued and running jobs go on; the rerun waits for them before it
    plans, keeps what they finished, and submits only the rest: no job runs twice, also when
    a first rerun is killed while it waits."""
    workdir = scale_workdir(tmp_path / "run")
    profile = filled_profile(tmp_path / "profile")
    killed_run, in_flight = _kill_with_jobs_in_flight(workdir, profile)
    # a rerun killed in its turn while it waits keeps the killed run's id in the lock it leaves
    log = workdir / "waiting.txt"
    waiting = _start(workdir, profile, log)
    wait_for(lambda: "waiting for" in log.read_text(), waiting, "waiting note", timeout=120)
    os.kill(waiting.pid, signal.SIGKILL)
    waiting.wait()
    assert ResultsLock(workdir / "results").holder().pid == waiting.pid
    assert ResultsLock(workdir / "results").holder().scheduler_run == killed_run

    result = run(workdir, *slurm_args(profile))
    output = result.stdout + result.stderr
    assert "removed the stale lock of a run that no longer exists" in output
    waiting = re.search(
        rf"waiting for \d+ SLURM jobs of the killed run {killed_run} \(job ids (.*?)\)", output
    )
    assert waiting, output[-3000:]
    assert {job.job_id for job in in_flight} <= set(waiting[1].split(", "))
    assert f"`scancel --name={killed_run}`" in output
    killed_jobs, rerun_jobs = slurm_jobs(killed_run), slurm_jobs(run_id_of(output))
    # the killed run's jobs all ran to the end, and the rerun submitted none of them again
    assert all(job.state == "COMPLETED" for job in killed_jobs), killed_jobs
    both = killed_jobs + rerun_jobs
    assert len({job.comment for job in both}) == len(both), sorted(j.comment for j in both)
    assert job_names(rerun_jobs) == submitted_jobs(output)
    assert_same_results(scale_run, workdir / "results")


def test_after_a_kill_9_cancelling_the_killed_runs_jobs_then_rerunning(
    slurm_cluster, scale_run, tmp_path
):
    """The documented alternative (docs/cluster.md, "Resume"): `scancel --name=<run id>`,
    then the same command; the rerun has nothing to wait for and runs what was cancelled."""
    workdir = scale_workdir(tmp_path / "run")
    profile = filled_profile(tmp_path / "profile")
    killed_run, _ = _kill_with_jobs_in_flight(workdir, profile)
    subprocess.run(["scancel", f"--name={killed_run}"], check=True)
    deadline = time.monotonic() + 120
    while not all(job.finished for job in slurm_jobs(killed_run)):
        assert time.monotonic() < deadline, "scancel did not end the jobs in 2 minutes"
        time.sleep(0.5)
    assert any(job.state == "CANCELLED" for job in slurm_jobs(killed_run))

    result = run(workdir, *slurm_args(profile))
    output = result.stdout + result.stderr
    assert "waiting for" not in output
    rerun_jobs = slurm_jobs(run_id_of(output))
    assert all(job.state == "COMPLETED" for job in rerun_jobs), rerun_jobs
    assert_no_job_completed_twice(slurm_jobs(killed_run) + rerun_jobs)
    # what was cancelled ran again, once
    cancelled = {job.comment for job in slurm_jobs(killed_run) if job.state == "CANCELLED"}
    assert cancelled <= {job.comment for job in rerun_jobs}
    assert_same_results(scale_run, workdir / "results")


def test_a_job_killed_at_its_time_limit_is_retried_with_twice_the_runtime(slurm_cluster, tmp_path):
    """activate's runtime set to one minute in the profile, doubled on each attempt as
    docs/cluster.md says to write it; the model takes 90 s to load (a sleep), so the job takes
    over 95 s. SLURM checks time limits every 30 s and kills the first attempt within 90 s of
    its start (TIMEOUT); the retry, with two minutes, ends. The first command asks for the
    maps alone, so that the shard's SLURM job holds activate alone and asks for its runtime
    (a group asks for the sum of its jobs'); the second finishes the run."""
    workdir = user_model_workdir(
        tmp_path / "run",
        "slow",
        "tests.user_models:slow_loading_classifier",
        methods=["secam"],
        # only activate loads the model: no stage and no selection that reruns it
        selection={"top_k": [3], "thresholds": [], "sufficient": []},
        stages={"faithfulness": False, "baselines": False, "sanity": False, "paper_figures": False},
    )
    profile = filled_profile(
        tmp_path / "profile", {"activate": {"runtime": "1 * 2 ** (attempt - 1)"}}
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), LOAD_SECONDS_VARIABLE: "90"}
    maps = "results/activations/slow/shard00000.npz"
    result = run_snakemake(*command(workdir, *slurm_args(profile), maps), env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    jobs = slurm_jobs(run_id_of(output))
    assert [(job.comment, job.state, job.time_limit) for job in jobs] == [
        ("rule_stage", "COMPLETED", "30:00"),
        ("rule_shard_activate", "TIMEOUT", "1:00"),
        ("rule_shard_activate", "COMPLETED", "2:00"),
    ]
    result = run_snakemake(*command(workdir, *slurm_args(profile)), env=env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    metrics = read_table(workdir / "results" / "metrics.parquet", "metrics")
    assert metrics["image_id"].unique().tolist() == ["chelsea"]
