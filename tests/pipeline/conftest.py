"""Shared by the per-shard stage tests: real validation images staged as one shard, the two
embedded photographs run through segment -> activate -> explain, and a validated configuration."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from secam.artifacts import write_table
from secam.config import validate_config
from secam.pipeline.activate import run_activate
from secam.pipeline.explain import ExplanationOutputs, ShardInputs, run_explain_maps
from secam.pipeline.segment import run_segment
from secam.staging import Sampling, stage_dataset

from ..conftest import SAMPLE

KAGGLE_VAL = ("ILSVRC", "Data", "CLS-LOC", "val")


@pytest.fixture(scope="session")
def manifest(ilsvrc_sample, tmp_path_factory):
    """Seven real validation images in one shard (seven: batches of 4 leave a partial one)."""
    staged = stage_dataset(
        ilsvrc_sample / "LOC_val_solution.csv",
        ilsvrc_sample.joinpath(*KAGGLE_VAL),
        synsets=ilsvrc_sample / "LOC_synset_mapping.txt",
        shard_size=1000,
    )
    rows = staged.manifest.iloc[::29].head(7).reset_index(drop=True)
    path = tmp_path_factory.mktemp("stages") / "manifest.parquet"
    write_table(rows, path, "manifest")
    return path


def stage_config(**sections) -> dict:
    """A validated configuration (the schema fills every default, as for a workflow run)."""
    required = {
        "results": "results",
        "dataset": {"annotations": "boxes.csv", "images": "images"},
        "models": ["efficientnet_lite0"],
        "selection": {"top_k": [2, 3, 4], "thresholds": [0.8, 0.7, 0.6]},
        "timing": {"warmup": 0},
        "report": {},
    }
    return validate_config({**required, "device": "cpu", **sections})


SAMPLE_IDS = ("chelsea", "coffee")
SAMPLE_SEGMENTATION = {"algorithm": "slic", "n_segments": 50, "compactness": 10, "downscale": 2}


@dataclass(frozen=True)
class SampleRun:
    """The per-shard artifacts of segment -> activate -> explain (SeCAM and CAM) on the two
    embedded photographs, one shard, ``efficientnet_lite0``, ``config``."""

    config: dict
    inputs: ShardInputs
    maps: Path
    map_timings: Path
    outputs: dict[str, ExplanationOutputs]  # by method

    @property
    def explanations(self) -> dict[str, Path]:
        return {method: Path(out.explanations) for method, out in self.outputs.items()}


@pytest.fixture(scope="session")
def sample_manifest(tmp_path_factory) -> Path:
    """``chelsea`` and ``coffee`` of the embedded sample, staged as one shard."""
    staged = stage_dataset(
        SAMPLE / "LOC_val_solution.csv",
        SAMPLE / "images",
        sampling=Sampling(image_ids=list(SAMPLE_IDS)),
        shard_size=1000,
    )
    assert staged.manifest["image_id"].tolist() == list(SAMPLE_IDS)
    path = tmp_path_factory.mktemp("sample") / "manifest.parquet"
    write_table(staged.manifest, path, "manifest")
    return path


@pytest.fixture(scope="session")
def sample_run(sample_manifest, tmp_path_factory) -> SampleRun:
    """SeCAM and CAM explanations of the two embedded photographs (a second or two); the
    configuration also sets the later stages small: faithfulness in 2 steps, LIME with 8 samples
    on 1 image."""
    out = tmp_path_factory.mktemp("sample_run")
    config = stage_config(
        methods=["secam", "cam"],
        activation={"batch_size": 2},
        baselines={"seed": 0},
        faithfulness={"steps": 2, "batch_size": 4},
        lime={"num_samples": 8, "seed": 0, "batch_size": 4, "max_images": 1},
    )
    labels, segments = out / "labels.npz", out / "segments.parquet"
    run_segment(sample_manifest, "shard00000", SAMPLE_SEGMENTATION, labels, segments)
    maps, predictions, map_timings = (
        out / "maps.npz",
        out / "predictions.parquet",
        out / "map_timings.parquet",
    )
    run_activate(
        sample_manifest, "shard00000", "efficientnet_lite0", config, maps, predictions, map_timings
    )
    inputs = ShardInputs(sample_manifest, "shard00000", labels, segments, predictions)
    outputs = {}
    for method in config["methods"]:
        outputs[method] = ExplanationOutputs(
            out / f"{method}.parquet", out / f"{method}.npz", out / f"{method}.timings.parquet"
        )
        run_explain_maps(
            method, "efficientnet_lite0", config, inputs, maps, map_timings, outputs[method]
        )
    return SampleRun(config, inputs, maps, map_timings, outputs)
