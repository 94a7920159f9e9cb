"""The shipped experiment configurations plan, and fail clearly where weights are missing."""

import os
import subprocess

import pytest
import yaml

from secam.config import load_config

from ..conftest import REPO, ilsvrc_root, run_snakemake


def _snakemake(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_snakemake("--cores", "1", *args, env=env)


def _with_sample_paths(config: dict) -> dict:
    root = ilsvrc_root()
    config["dataset"]["annotations"] = str(root / "LOC_val_solution.csv")
    config["dataset"]["images"] = str(root / "ILSVRC" / "Data" / "CLS-LOC" / "val")
    config["dataset"]["synsets"] = str(root / "LOC_synset_mapping.txt")
    return config


@pytest.mark.parametrize("name", ["paper.yaml", "ilsvrc-sample.yaml"])
def test_config_plans(name, ilsvrc_sample, tmp_path):
    config = _with_sample_paths(load_config(REPO / "config" / name))
    config["results"] = str(tmp_path / "results")
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    result = _snakemake("-n", "--configfile", str(path))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "checkpoint" in (result.stdout + result.stderr)


def test_paper_run_without_weights_stops_with_how_to_get_them(ilsvrc_sample, tmp_path):
    config = _with_sample_paths(load_config(REPO / "config" / "paper.yaml"))
    config["results"] = str(tmp_path / "results")
    config["dataset"]["sample"] = {"image_ids": ["ILSVRC2012_val_00000001"]}
    config["models"] = ["resnet50"]
    path = tmp_path / "paper.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "torch")}
    target = tmp_path / "results" / "activations" / "resnet50" / "shard00000.parquet"
    result = _snakemake(str(target), "--configfile", str(path), env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "are not cached" in output and "TORCH_HOME" in output
