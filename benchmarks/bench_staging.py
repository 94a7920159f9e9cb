"""Staging cost per image on the shared ILSVRC sample, in both layouts.

A benchmark, not a test: it prints figures and writes them as JSON. Staging reads headers and
end markers, hashes each file and decodes each usable image once; the goal is under 5 ms per
image on 2 cores. Usage: python benchmarks/bench_staging.py [--sample DIR] [--repeat N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.ilsvrc_layouts

from secam.staging import stage_dataset  # noqa: E402
from tests.ilsvrc_layouts import build_official_layout  # noqa: E402

KAGGLE_VAL = ("ILSVRC", "Data", "CLS-LOC", "val")


def _time(repeat: int, run) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        count = run()
        times.append((time.perf_counter() - start) / count)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = os.environ.get("SECAM_ILSVRC_SAMPLE", str(REPO.parent / "shared/ilsvrc-val-sample"))
    parser.add_argument("--sample", type=Path, default=Path(default))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    root = args.sample
    synsets = root / "LOC_synset_mapping.txt"

    def kaggle() -> int:
        return len(
            stage_dataset(
                root / "LOC_val_solution.csv", root.joinpath(*KAGGLE_VAL), synsets=synsets
            ).manifest
        )

    with tempfile.TemporaryDirectory() as tmp:
        official = build_official_layout(root, Path(tmp))

        def official_tar() -> int:
            return len(
                stage_dataset(
                    official["boxes"], official["images"], synsets=official["meta"]
                ).manifest
            )

        figures = {
            "kaggle_folder": _time(args.repeat, kaggle),
            "official_tar": _time(args.repeat, official_tar),
        }
    report = {}
    for layout, times in figures.items():
        median_ms = statistics.median(times) * 1000
        report[layout] = {
            "median_ms_per_image": median_ms,
            "goal_ms": 5.0,
            "ratio_to_goal": median_ms / 5.0,
        }
        print(f"{layout:14s} {median_ms:7.3f} ms/image  ({median_ms / 5.0:.2f} x the 5 ms goal)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
