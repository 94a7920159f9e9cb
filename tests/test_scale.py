"""Scale and robustness: the workflow under a cluster executor, after kill -9, on a SLURM
profile's plan, and on degenerate inputs. Runs use .test/config/scale.yaml (one image, a shard
larger than the image count, seeded LIME)."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from secam.artifacts import read_table

from .conftest import REPO, run_snakemake

pytestmark = pytest.mark.slow

SCALE_CONFIG = REPO / ".test" / "config" / "scale.yaml"
GPU_RULES = {"activate", "explain_lime", "faithfulness"}
# Tables (under tables/) whose values are times; every other table must be identical.
TIMING_TABLES = {"timing.csv", "table1.csv", "claims.csv"}


def _workdir(root: Path, **dataset: object) -> Path:
    """A run folder with the scale configuration (dataset paths made absolute)."""
    root.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(SCALE_CONFIG.read_text())
    for key in ("annotations", "images"):
        config["dataset"][key] = str(REPO / config["dataset"][key])
    config["dataset"].update(dataset)
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def _command(workdir: Path, *args: str) -> list[str]:
    return [
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        *args,
    ]


def _run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    result = run_snakemake(*_command(workdir, *args))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _artifacts(results: Path) -> list[Path]:
    """Every result file, logs, figures and temporary files of killed writers aside."""
    return sorted(
        path.relative_to(results)
        for path in results.rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and path.relative_to(results).parts[0] not in {"logs", "figures"}
    )


def _without_times(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in frame.columns if "seconds" in c or "time" in c])


def assert_same_results(reference: Path, other: Path) -> None:
    """Identical region scores, masks, maps, labels and metrics: every NPZ array bit for bit,
    every table equal once its timing columns are dropped."""
    assert _artifacts(other) == _artifacts(reference)
    for relative in _artifacts(reference):
        a, b = reference / relative, other / relative
        if relative.suffix == ".npz":
            with np.load(a) as left, np.load(b) as right:
                assert left.files == right.files, relative
                for key in left.files:
                    np.testing.assert_array_equal(
                        left[key], right[key], err_msg=f"{relative}:{key}"
                    )
        elif relative.suffix == ".parquet":
            pd.testing.assert_frame_equal(
                _without_times(pd.read_parquet(a)),
                _without_times(pd.read_parquet(b)),
                obj=str(relative),
            )
        elif relative.suffix == ".csv" and relative.name not in TIMING_TABLES:
            pd.testing.assert_frame_equal(
                _without_times(pd.read_csv(a)), _without_times(pd.read_csv(b)), obj=str(relative)
            )


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    workdir = _workdir(tmp_path_factory.mktemp("local"))
    _run(workdir, "--cores", "2")
    return workdir / "results"


def test_one_image_in_a_shard_larger_than_the_dataset(local_run):
    manifest = read_table(local_run / "manifest.parquet", "manifest")
    assert manifest["image_id"].tolist() == ["chelsea"] and manifest["shard"].nunique() == 1
    metrics = read_table(local_run / "metrics.parquet", "metrics")
    assert sorted(metrics["method"].unique()) == ["lime", "secam"]
    assert (local_run / "tables" / "summary.csv").is_file()


def test_cluster_mode_gives_the_local_results(local_run, tmp_path):
    """Each job submitted as its own process through snakemake-executor-plugin-cluster-generic;
    a second clean run, so this also shows that two runs agree (LIME included)."""
    pytest.importorskip("snakemake_executor_plugin_cluster_generic")
    workdir = _workdir(tmp_path / "cluster")
    _run(
        workdir,
        "--executor",
        "cluster-generic",
        "--cluster-generic-submit-cmd",
        str(REPO / ".test" / "cluster" / "submit.sh"),
        "--jobs",
        "2",
        "--seconds-between-status-checks",
        "1",
        "--latency-wait",
        "10",
    )
    logs = sorted((workdir / "results" / "logs").rglob("*.log"))
    assert logs, "no job wrote its log"
    assert_same_results(local_run, workdir / "results")


def test_a_run_killed_mid_way_resumes_to_the_same_results(local_run, tmp_path):
    workdir = _workdir(tmp_path / "killed")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(REPO / "Snakefile"),
            *_command(workdir, "--cores", "2"),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches every job
    )
    explanations = workdir / "results" / "explanations"
    deadline = time.monotonic() + 600
    try:
        # The first explanation is on disk: the model's jobs are under way, the report is not.
        while not list(explanations.rglob("*.parquet")):
            assert process.poll() is None, "the run finished before it could be killed"
            assert time.monotonic() < deadline, "no explanation after 10 minutes"
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not (workdir / "results" / "tables" / "summary.csv").exists()

    _run(workdir, "--unlock")
    resumed = _run(workdir, "--cores", "2", "--rerun-incomplete")
    assert "Nothing to be done" not in resumed.stdout + resumed.stderr
    assert_same_results(local_run, workdir / "results")


def test_a_dataset_of_zero_images_runs_to_empty_tables(tmp_path):
    workdir = _workdir(tmp_path / "empty", max_images=0)
    _run(workdir, "--cores", "2")
    results = workdir / "results"
    assert read_table(results / "manifest.parquet", "manifest").empty
    assert read_table(results / "metrics.parquet", "metrics").empty
    assert (results / "tables" / "summary.csv").is_file()


def _planned_jobs(dry_run_output: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job a dry run prints."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", dry_run_output):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        if not rule:
            continue
        line = re.search(r"^\s+resources: (.*)$", block, flags=re.MULTILINE)
        resources = dict(part.split("=", 1) for part in line.group(1).split(", ")) if line else {}
        jobs.append((rule.group(1), resources))
    return jobs


def test_slurm_profile_plans_gpu_jobs_on_the_gpu_partition(tmp_path):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    workdir = _workdir(tmp_path / "slurm", shard_size=1, **{"sample": {"image_ids": []}})
    _run(workdir, "--cores", "1", "results/manifest.parquet")  # the checkpoint: shards known
    profile = REPO / "profiles" / "slurm"
    planned = _run(workdir, "--workflow-profile", str(profile), "--dry-run").stdout
    jobs = _planned_jobs(planned)
    rules = [rule for rule, _ in jobs]
    # six embedded images, one per shard: one job per shard for each per-shard rule
    assert rules.count("activate") == rules.count("segment") == 6
    assert rules.count("explain_lime") == rules.count("explain_maps") == 6
    for rule, resources in jobs:
        if rule in GPU_RULES:
            assert resources.get("gpu") == "1", (rule, resources)
            assert resources["slurm_partition"] == "<gpu partition>"
            assert int(resources["mem_mb"]) >= 8000 and int(resources["runtime"]) >= 10
        elif rule != "all":
            assert "gpu" not in resources, (rule, resources)
            assert resources["slurm_partition"] == "<cpu partition>"
