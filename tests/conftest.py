"""Shared fixtures: the embedded model, the embedded sample, the shared ILSVRC sample."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from secam.imaging import load_rgb
from secam.models import LoadedModel, load_model

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
ILSVRC_ENV = "SECAM_ILSVRC_SAMPLE"
ILSVRC_DEFAULT = REPO.parent / "shared" / "ilsvrc-val-sample"


def ilsvrc_root() -> Path:
    return Path(os.environ.get(ILSVRC_ENV, ILSVRC_DEFAULT))


@pytest.fixture(scope="session")
def ilsvrc_sample() -> Path:
    """Root of the shared ILSVRC2012 validation sample (Kaggle layout), or skip."""
    root = ilsvrc_root()
    if not (root / "LOC_val_solution.csv").is_file():
        pytest.skip(
            f"shared ILSVRC sample not found at {root}: set {ILSVRC_ENV} to a folder with "
            "LOC_val_solution.csv, LOC_synset_mapping.txt and ILSVRC/Data/CLS-LOC/val/"
        )
    return root


@pytest.fixture(scope="session")
def embedded_model() -> LoadedModel:
    """EfficientNet-Lite0 with its real ImageNet weights, on the CPU."""
    return load_model("efficientnet_lite0", device="cpu")


def run_snakemake(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The repository's workflow run as a separate process, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        env=env,
    )


def sample_image_path(image_id: str) -> Path:
    return next((SAMPLE / "images").glob(f"{image_id}.*"))


@pytest.fixture(scope="session")
def chelsea() -> np.ndarray:
    return load_rgb(sample_image_path("chelsea"))


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    return load_rgb(sample_image_path("coffee"))


@pytest.fixture(scope="session")
def scale_run(tmp_path_factory) -> Path:
    """The results folder of one uninterrupted run of .test/config/scale.yaml: the reference
    that cluster-mode, killed-and-resumed and repaired runs must reproduce."""
    from .workflow_runs import run, scale_workdir

    workdir = scale_workdir(tmp_path_factory.mktemp("scale"))
    run(workdir, "--cores", "2")
    return workdir / "results"
