"""Scale: the workflow under a cluster executor, on a SLURM profile's plan, and on one image in
a shard larger than the dataset. Runs use .test/config/scale.yaml
(tests/workflow/workflow_runs.py); kills, damaged caches and bad inputs are in
test_reliability.py."""

import re

import pytest

from secam.artifacts import read_table

from ..conftest import REPO
from .workflow_runs import assert_same_results, run, scale_workdir

pytestmark = pytest.mark.slow

GPU_RULES = {"activate", "explain_lime", "faithfulness", "sanity"}


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
    workdir = scale_workdir(tmp_path / "slurm", shard_size=1, **{"sample": {"image_ids": []}})
    run(workdir, "--cores", "1", "results/manifest.parquet")  # the checkpoint: shards known
    profile = REPO / "profiles" / "slurm"
    planned = run(workdir, "--workflow-profile", str(profile), "--dry-run").stdout
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
            # segment asks for a GPU only with segmentation.backend: torch
            assert resources.get("gpu", "0") == "0", (rule, resources)
            assert resources["slurm_partition"] == "<cpu partition>"
