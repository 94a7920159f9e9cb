"""What one SLURM job costs, and how many a run on the full validation set submits.

A benchmark, not a test: it prints figures and writes them as JSON. It needs the running test
cluster (`bash .test/cluster/slurm.sh start`, as root) and nothing else on the cores.

1. Queueing: trivial jobs submitted one at a time to the idle cluster; the time from the
   sbatch call to the job's first command.
2. Start-up: what each SLURM job of the workflow runs before its first rule's script: the job
   step (srun) and a Snakemake process that reads the workflow and plans one job (here a dry
   run of a finished target: the same reading and planning, no script).
3. Job count: the SLURM profile's plan (`--dry-run` through profiles/slurm, placeholders
   filled) for config/paper.yaml on a manifest of N images (the shared sample's rows repeated
   under new ids) at the given shard sizes: the SLURM jobs the grouped profile submits, and
   the workflow jobs, which an ungrouped profile would submit one each.

Then the overhead of each shard size on the full set: jobs x (queueing + start-up).
Usage: python benchmarks/bench_slurm_jobs.py [--images 50000] [--shard-sizes 100 1000]
       [--repeat 10] [--json benchmarks/results/slurm-jobs.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.workflow.workflow_runs

from secam.artifacts import read_table, write_table  # noqa: E402
from tests.workflow.workflow_runs import filled_profile, planned_jobs  # noqa: E402

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]


def _wait_for_file(path: Path, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no output from the job in {timeout} s: {path}")
        time.sleep(0.01)
    return path.read_text()


def queueing_seconds(folder: Path, repeat: int) -> list[float]:
    """Seconds from the sbatch call to the job's first command, on the idle cluster."""
    seconds = []
    for index in range(repeat):
        stamp = folder / f"queued{index}.txt"
        submitted = time.time()
        subprocess.run(
            ["sbatch", "--quiet", f"--output={stamp}", "--wrap", "date +%s.%N"], check=True
        )
        seconds.append(float(_wait_for_file(stamp)) - submitted)
    return seconds


def startup_seconds(folder: Path, workdir: Path, target: str, repeat: int) -> list[float]:
    """Seconds a SLURM job takes to start a job step that reads the workflow and plans one
    job, from the job's first command."""
    config = str(workdir / "config.yaml")
    plan = " ".join([*SNAKEMAKE, "--directory", str(workdir), "--configfile", config, "-n", target])
    seconds = []
    for index in range(repeat):
        stamp = folder / f"startup{index}.txt"
        script = (
            f"start=$(date +%s.%N); srun {plan} > /dev/null 2>&1; "
            'end=$(date +%s.%N); echo "$start $end"'
        )
        subprocess.run(
            ["sbatch", "--quiet", f"--output={stamp}", "--wrap", script], check=True, cwd=REPO
        )
        start, end = map(float, _wait_for_file(stamp, timeout=300).split())
        seconds.append(end - start)
    return seconds


def paper_workdir(folder: Path, shard_size: int) -> Path:
    """config/paper.yaml in a folder of its own, its dataset paths made absolute."""
    config = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    for key in ("annotations", "images", "synsets"):
        config["dataset"][key] = str((REPO / config["dataset"][key]).resolve())
    config["dataset"]["shard_size"] = shard_size
    config["results"] = "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def count_jobs(workdir: Path, images: int, shard_size: int, profile: Path) -> dict[str, float]:
    """Plan a run of ``images`` images through the profile; return the SLURM jobs it submits,
    the workflow jobs, and the planning time."""
    manifest_path = workdir / "results" / "manifest.parquet"
    if not manifest_path.exists():
        subprocess.run(
            [
                *SNAKEMAKE,
                "--directory",
                str(workdir),
                "--configfile",
                str(workdir / "config.yaml"),
                "--cores",
                "2",
                "results/manifest.parquet",
                # staging reads no model; a packaged one spares the check of the paper's weights
                "--config",
                "models=[efficientnet_lite0]",
            ],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
    staged = read_table(manifest_path, "manifest")
    rows = staged.iloc[[index % len(staged) for index in range(images)]].reset_index(drop=True)
    rows["image_id"] = [f"{image}_{index:05d}" for index, image in enumerate(rows["image_id"])]
    rows["shard"] = [f"shard{index // shard_size:05d}" for index in range(images)]
    write_table(rows, manifest_path, "manifest")
    started = time.perf_counter()
    planned = subprocess.run(
        [
            *SNAKEMAKE,
            "--directory",
            str(workdir),
            "--configfile",
            str(workdir / "config.yaml"),
            "--workflow-profile",
            str(profile),
            "--dry-run",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    planning = time.perf_counter() - started
    jobs = [job for job in planned_jobs(planned.stdout) if not job.local]
    groups = len(re.findall(r"Group job \w+ \(jobs in", planned.stdout))
    return {
        "images": images,
        "shard_size": shard_size,
        "shards": rows["shard"].nunique(),
        "workflow_jobs": len(jobs),
        "slurm_jobs": groups + sum(job.group is None for job in jobs),
        "planning_seconds": round(planning, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--shard-sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        profile = filled_profile(folder / "profile")
        queued = queueing_seconds(folder, args.repeat)
        counts = []
        for shard_size in args.shard_sizes:
            workdir = paper_workdir(folder / f"shards{shard_size}", shard_size)
            counts.append(count_jobs(workdir, args.images, shard_size, profile))
        started = startup_seconds(folder, workdir, "results/manifest.parquet", args.repeat)

    per_job = statistics.median(queued) + statistics.median(started)
    print(
        f"queueing, sbatch to first command: median {statistics.median(queued):.2f} s "
        f"(min {min(queued):.2f}, max {max(queued):.2f}, {len(queued)} jobs)"
    )
    print(
        f"start-up, job step reading the workflow and planning one job: median "
        f"{statistics.median(started):.2f} s (min {min(started):.2f}, max {max(started):.2f})"
    )
    print(
        f"{'images':>7} {'shard':>6} {'shards':>6} {'workflow jobs':>13} {'SLURM jobs':>10} "
        f"{'overhead, grouped':>17} {'ungrouped':>10} {'planning':>8}"
    )
    for count in counts:
        count["overhead_hours_grouped"] = round(count["slurm_jobs"] * per_job / 3600, 2)
        count["overhead_hours_ungrouped"] = round(count["workflow_jobs"] * per_job / 3600, 2)
        print(
            f"{count['images']:>7} {count['shard_size']:>6} {count['shards']:>6} "
            f"{count['workflow_jobs']:>13} {count['slurm_jobs']:>10} "
            f"{count['overhead_hours_grouped']:>15} h {count['overhead_hours_ungrouped']:>8} h "
            f"{count['planning_seconds']:>7} s"
        )
    record = {
        "benchmark": "slurm-jobs",
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
        ).stdout.strip(),
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.node()}, single-node test cluster",
        "slurm": subprocess.run(
            ["sinfo", "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "queueing_seconds": [round(s, 3) for s in queued],
        "startup_seconds": [round(s, 3) for s in started],
        "per_job_overhead_seconds": round(per_job, 2),
        "job_counts": counts,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
