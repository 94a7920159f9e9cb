"""The shared ILSVRC validation sample, as the benchmarks find and stage it."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pandas as pd

from secam.staging import stage_dataset

REPO = Path(__file__).resolve().parents[1]
KAGGLE_VAL = ("ILSVRC", "Data", "CLS-LOC", "val")


def add_sample_argument(parser: argparse.ArgumentParser) -> None:
    """``--sample``: the sample's root, by default $SECAM_ILSVRC_SAMPLE or ../shared/."""
    default = os.environ.get("SECAM_ILSVRC_SAMPLE", str(REPO.parent / "shared/ilsvrc-val-sample"))
    parser.add_argument("--sample", type=Path, default=Path(default))


def staged_manifest(root: Path) -> pd.DataFrame:
    """The whole sample (Kaggle layout) staged as one shard, ``shard00000``."""
    return stage_dataset(
        root / "LOC_val_solution.csv",
        root.joinpath(*KAGGLE_VAL),
        synsets=root / "LOC_synset_mapping.txt",
        shard_size=1_000_000,
    ).manifest


def report(result: dict, path: Path | None) -> None:
    """Print a benchmark's result as JSON, and write it to ``path`` when one is given."""
    text = json.dumps(result, indent=2) + "\n"
    print(text, end="")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
