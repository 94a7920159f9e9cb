"""Peak memory of each per-shard stage against the number of images in the shard.

A benchmark, not a test: it prints figures and writes them as JSON. It stages the first
--large images of the shared ILSVRC sample and a --small subset of them, each as ONE shard (the
worst case: the workflow's shards bound a job's images anyway), and runs every per-shard stage
in a fresh Python process, which reports its own peak resident memory (ru_maxrss). The small
set holds the large set's largest photograph (a stage's peak follows its largest image: SLIC's
Lab copy, the masks), so what differs between the two peaks is the number of images:

  segment        SLIC labels (the reference, one worker)
  activate       predictions and maps (secam, cam, gradcam) on the CPU
  explain secam  region scores and masks from the cached maps and labels
  explain cam    heatmap thresholds
  evaluate       metrics of SeCAM's masks

Goal (performance issue): the large run's peak within 1.2x of the small run's, stage by stage.

Usage: python benchmarks/bench_memory.py [--small 20] [--large 200] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from shared_sample import add_sample_argument, report, staged_manifest

from secam.artifacts import write_table

SHARD = "shard00000"
CONFIG = {
    "methods": ["secam", "cam", "gradcam"],
    "device": "cpu",
    "target": "predicted",
    "activation": {"batch_size": {"cpu": 4}},
    "segmentation": {"algorithm": "slic", "n_segments": 50, "compactness": 10},
    "selection": {"top_k": [2, 3, 4], "thresholds": [0.8, 0.7, 0.6]},
    "timing": {"warmup": 1},
}

_EXPLAIN = """
    from secam.pipeline.explain import ExplanationOutputs, ShardInputs, run_explain_maps
    inputs = ShardInputs(d / "manifest.parquet", SHARD, d / "labels.npz",
                         d / "segments.parquet", d / "predictions.parquet")
    outputs = ExplanationOutputs(d / "{method}.parquet", d / "{method}.npz",
                                 d / "{method}.timings.parquet")
    run_explain_maps("{method}", "efficientnet_lite0", config, inputs, d / "maps.npz",
                     d / "map_timings.parquet", outputs)
"""

STAGES = {
    "segment": """
        from secam.pipeline.segment import run_segment
        run_segment(d / "manifest.parquet", SHARD, config["segmentation"],
                    d / "labels.npz", d / "segments.parquet", workers=1)
    """,
    "activate": """
        from secam.pipeline.activate import run_activate
        run_activate(d / "manifest.parquet", SHARD, "efficientnet_lite0", config,
                     d / "maps.npz", d / "predictions.parquet", d / "map_timings.parquet",
                     threads=2)
    """,
    "explain secam": _EXPLAIN.format(method="secam"),
    "explain cam": _EXPLAIN.format(method="cam"),
    "evaluate": """
        from secam.pipeline.evaluate import run_evaluate
        run_evaluate(d / "manifest.parquet", SHARD, d / "predictions.parquet",
                     d / "secam.parquet", d / "secam.npz", d / "metrics.parquet")
    """,
}


def run_stage(folder: Path, code: str) -> float:
    """Peak resident memory (MiB) of a fresh process running ``code`` on ``folder``."""
    program = "\n".join(
        [
            "import json, resource, sys",
            "from pathlib import Path",
            f"d, SHARD = Path({str(folder)!r}), {SHARD!r}",
            f"config = json.loads({json.dumps(CONFIG)!r})",
            textwrap.dedent(code),
            "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    peak = [line for line in done.stdout.splitlines() if line.startswith("PEAK")][-1]
    return int(peak.split()[1]) / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_sample_argument(parser)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--large", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    manifest = staged_manifest(args.sample)
    large = manifest.head(args.large)
    largest = int((large["width"] * large["height"]).idxmax())
    small = large.loc[sorted({*large.index[: args.small - 1], largest})]
    peaks: dict[int, dict[str, float]] = {}
    for count, rows in ((len(small), small), (len(large), large)):
        with tempfile.TemporaryDirectory() as folder:
            write_table(rows, Path(folder) / "manifest.parquet", "manifest")
            peaks[count] = {}
            for stage, code in STAGES.items():
                peaks[count][stage] = run_stage(Path(folder), code)
                print(f"{count} images, {stage}: peak {peaks[count][stage]:.0f} MiB", flush=True)
    ratios = {stage: peaks[len(large)][stage] / peaks[len(small)][stage] for stage in STAGES}
    result = {
        "images": [len(small), len(large)],
        "largest_image": [int(large.loc[largest, "width"]), int(large.loc[largest, "height"])],
        "peak_mib": {str(count): values for count, values in peaks.items()},
        "large_over_small": ratios,
        "worst_ratio": max(ratios.values()),
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
