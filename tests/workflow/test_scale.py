"""Scale: the workflow under a cluster executor, on a SLURM profile's plan, and on one image in
a shard larger than the dataset. Runs use .test/config/scale.yaml
(tests/workflow/workflow_runs.py); kills, damaged caches and bad inputs are in
test_reliability.py."""

import pytest

from secam.artifacts import read_table

from ..conftest import REPO
from .workflow_runs import (
    assert_same_results,
    filled_profile,
    planned_jobs,
    run,
    scale_workdir,
)

pytestmark = pytest.mark.slow

GPU_RULES = {"activate", "explain_lime", "faithfulness", "sanity"}
# the per-shard jobs of the scale configuration (SeCAM and LIME, every optional stage)
PER_SHARD_RULES = [
    "segment",
    "activate",
    "explain_maps",
    "explain_lime",
    "evaluate",
    "evaluate",
    "baselines",
    "faithfulness",
    "faithfulness",
    "sanity",
]


def test_one_image_in_a_shard_larger_than_the_dataset(scale_run):
    manifest = read_table(scale_run / "manifest.parquet", "manifest")
    assert manifest["image_id"].tolist() == ["chelsea"] and manifest["shard"].nunique() == 1
    metrics = read_table(scale_run / "metrics.parquet", "metrics")
    assert sorted(metrics["method"].unique()) == ["lime", "secam"]
    assert (scale_run / "tables" / "summary.csv").is_file()


def test_cluster_mode_gives_the_local_results(scale_run, tmp_path):
    """Each job submitted as its own process through snakemake-executor-plugin-cluster-generic;
    a second clean run, so this also shows that two runs agree (LIME included)."""
    pytest.importorskip("snakemake_executor_plugin_cluster_generic")
    workdir = scale_workdir(tmp_path / "cluster")
    run(
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
    assert_same_results(scale_run, workdir / "results")


def test_slurm_profile_runs_each_shard_as_one_job_on_the_gpu_partition(tmp_path):
    """profiles/slurm groups every per-shard job of a shard into one submission (a SLURM job),
    on the GPU partition; staging and the tables go to the CPU partition, each a job of its own."""
    pytest.importorskip("snakemake_executor_plugin_slurm")
    workdir = scale_workdir(tmp_path / "slurm", shard_size=1, **{"sample": {"image_ids": []}})
    run(workdir, "--cores", "1", "results/manifest.parquet")  # the checkpoint: shards known
    profile = filled_profile(tmp_path / "profile")
    output = run(workdir, "--workflow-profile", str(profile), "--dry-run").stdout
    jobs = planned_jobs(output)
    grouped = [job for job in jobs if job.group is not None]
    # six embedded images, one per shard: six group jobs, each every per-shard rule of a shard
    assert output.count("Group job shard (jobs in") == 6
    assert sorted(job.rule for job in grouped) == sorted(6 * PER_SHARD_RULES)
    for job in grouped:
        assert job.group == "shard" and job.resources["slurm_partition"] == "gpu", job
        assert job.resources.get("gpu", "0") == ("1" if job.rule in GPU_RULES else "0"), job
    for job in jobs:
        if job.group is None and not job.local:
            assert job.resources["slurm_partition"] == "cpu", job
    assert {job.rule for job in jobs if job.group is None} == {
        "collect",
        "summary",
        "examples",
        "quantitative",
        "paper_outputs",
        "sanity_report",
        "all",
    }
