"""Scale: the workflow under a cluster executor, on a SLURM profile's plan, on one image in a
shard larger than the dataset, and on a synthetic validation set in several shards. Runs use
.test/config/scale.yaml (tests/workflow/workflow_runs.py) or the configuration of
benchmarks/bench_scale.py; kills, damaged caches and bad inputs are in test_reliability.py."""

from collections import Counter

import pandas as pd
import pytest
import yaml

from secam.artifacts import read_table
from secam.methods import METHODS

from ..conftest import REPO, benchmark_module
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


def _per_shard_jobs(config: dict) -> Counter:
    """The jobs each shard adds to the plan of ``config``, by rule: every per-shard rule once,
    per model, per method where it explains, per compared algorithm where it resegments."""
    models, methods = config["models"], config["methods"]
    maps = [m for m in methods if METHODS[m].kind != "lime"]
    limes = [m for m in methods if METHODS[m].kind == "lime"]
    algorithms = config["segmentation"]["compare"]
    compared = config["segmentation"]["compare_methods"]
    per_model = {
        "activate": 1,
        "baselines": 1,
        "sanity": 1,
        "explain_maps": len(maps),
        "explain_lime": len(limes),
        "evaluate": len(methods),
        "faithfulness": len(methods),
        "explain_maps_compared": len(algorithms) * len([m for m in compared if m in maps]),
        "explain_lime_compared": len(algorithms) * len([m for m in compared if m in limes]),
        "evaluate_compared": len(algorithms) * len(compared),
    }
    jobs = Counter({rule: len(models) * count for rule, count in per_model.items()})
    jobs.update({"segment": 1, "segment_compared": len(algorithms)})
    return jobs


def test_a_synthetic_validation_set_in_several_shards(tmp_path, monkeypatch):
    """benchmarks/bench_scale.py's configuration (every stage, the tiny own model) on 200
    synthetic images read from an official-layout tar: its plan is the per-shard jobs once per
    shard plus a constant, in shards of 50 and of 100; and every staged image reaches the
    merged metrics of a run."""
    synthetic = benchmark_module("make_synthetic_ilsvrc")
    bench_scale = benchmark_module("bench_scale")
    monkeypatch.setenv("PYTHONPATH", str(REPO / "benchmarks"))  # the factory's module
    data = tmp_path / "ilsvrc"
    synthetic.write_set(200, data, tar=True)
    for shard_size, shard_count in ((50, 4), (100, 2)):
        workdir = tmp_path / f"shards-of-{shard_size}"
        workdir.mkdir()
        config = bench_scale.scale_config(data, 200, "tiny", "tar", shard_size)
        (workdir / "config.yaml").write_text(yaml.safe_dump(config))
        run(workdir, "--cores", "2", "results/manifest.parquet")
        manifest = read_table(workdir / "results" / "manifest.parquet", "manifest")
        assert len(manifest) == 200 and manifest["shard"].nunique() == shard_count
        plan = run(workdir, "--dry-run", "--forcerun", *bench_scale.FIRST_PER_SHARD_RULES).stdout
        expected = Counter({rule: shard_count * n for rule, n in _per_shard_jobs(config).items()})
        expected.update([*bench_scale.REPORT_RULES, "all"])  # the jobs that read every shard
        assert Counter(job.rule for job in planned_jobs(plan)) == expected

    # a run to the merged metrics, in shards of 100, with two map methods (no LIME)
    config.update(methods=["secam", "cam"], stages={"faithfulness": False, "baselines": False})
    config["segmentation"]["compare_methods"] = ["secam"]
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    run(workdir, "--cores", "2", "results/metrics.parquet")
    metrics = read_table(workdir / "results" / "metrics.parquet", "metrics")
    staged = sorted(manifest["image_id"])
    for method in ("secam", "cam"):
        assert sorted(metrics.loc[metrics["method"] == method, "image_id"].unique()) == staged
    assert pd.read_parquet(workdir / "results" / "rejected.parquet").empty
