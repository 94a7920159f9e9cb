"""Shared fixtures: the embedded model, the embedded sample, the shared ILSVRC sample, a
researcher's own classifier and a decompression bomb."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from PIL import Image

from secam.config import load_schema
from secam.imaging import load_rgb
from secam.models import LoadedModel, load_model

from .user_models import tiny_classifier

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
ILSVRC_ENV = "SECAM_ILSVRC_SAMPLE"
ILSVRC_DEFAULT = REPO.parent / "shared" / "ilsvrc-val-sample"
# tests/user_models.py as the workflow and the CLI import it (from the repository root)
FACTORY = "tests.user_models:tiny_classifier"
SCHEMA_MAX_PIXELS = load_schema()["properties"]["dataset"]["properties"]["max_pixels"]["default"]
PIL_DEFAULT_LIMIT = Image.MAX_IMAGE_PIXELS  # 89478485 unless something changed it already


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker's torch takes its share of the cores, not all of them
    (oversubscribed threads slow every worker down many times over)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


def ilsvrc_root() -> Path:
    return Path(os.environ.get(ILSVRC_ENV, ILSVRC_DEFAULT))


def ilsvrc_photographs(root: Path, every: int, count: int) -> list[np.ndarray]:
    """``count`` validation photographs of the sample at ``root``: every ``every``-th file."""
    folder = root / "ILSVRC" / "Data" / "CLS-LOC" / "val"
    return [load_rgb(path) for path in sorted(folder.glob("*.JPEG"))[::every][:count]]


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


def benchmark_module(name: str) -> ModuleType:
    """The script ``benchmarks/<name>.py``, imported as a module."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_image_path(image_id: str) -> Path:
    return next((SAMPLE / "images").glob(f"{image_id}.*"))


@pytest.fixture(scope="session")
def chelsea() -> np.ndarray:
    return load_rgb(sample_image_path("chelsea"))


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    return load_rgb(sample_image_path("coffee"))


@pytest.fixture(scope="module")
def tiny() -> torch.nn.Module:
    """A researcher's own ten-class classifier (tests/user_models.py), seeded."""
    return tiny_classifier()


def jpeg_claiming_size(path: Path, width: int, height: int) -> Path:
    """A small real JPEG whose SOF header is patched to say ``width`` x ``height``: what PIL sees
    of a decompression bomb, without encoding (or decoding) one."""
    thumbnail = Image.open(sample_image_path("chelsea")).convert("RGB").resize((64, 48))
    thumbnail.save(path, format="JPEG")
    data = bytearray(path.read_bytes())
    position = 2  # after the start-of-image marker, walk the segments up to the frame header
    while data[position + 1] not in (0xC0, 0xC1, 0xC2):
        assert data[position] == 0xFF, "not at a JPEG marker"
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    # SOFn: marker (2 bytes), length (2), precision (1), height (2), width (2)
    data[position + 5 : position + 7] = height.to_bytes(2, "big")
    data[position + 7 : position + 9] = width.to_bytes(2, "big")
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def bomb(tmp_path, monkeypatch) -> Path:
    """A 20000x20000 JPEG by its header (issue 14), alone in ``tmp_path``."""
    path = jpeg_claiming_size(tmp_path / "bomb.JPEG", 20000, 20000)
    with pytest.raises(Image.DecompressionBombError):  # PIL's default: the crash of issue 14
        Image.open(path)
    with monkeypatch.context() as patched:
        patched.setattr(Image, "MAX_IMAGE_PIXELS", None)
        with Image.open(path) as opened:
            assert opened.size == (20000, 20000)
    assert Image.MAX_IMAGE_PIXELS == PIL_DEFAULT_LIMIT
    return path
