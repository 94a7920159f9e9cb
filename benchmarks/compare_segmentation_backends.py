"""What SLIC's torch backend changes downstream: two results folders of the same config, one
with ``segmentation.backend: skimage`` and one with ``torch``, compared image by image.

Prints, for one model and method: the superpixels' adjusted Rand index between the two runs
(mean, least, share identical), and per selection the mean IoU of the two selected masks and
the box IoU and EBPG differences (torch - skimage), each with its 95 % bootstrap CI.

Usage: python benchmarks/compare_segmentation_backends.py SKIMAGE_RESULTS TORCH_RESULTS
       [--model efficientnet_lite0] [--method secam] [--json OUT]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from shared_sample import report
from sklearn.metrics import adjusted_rand_score

from secam.artifacts import read_arrays
from secam.statistics import bootstrap_ci


def interval(values: np.ndarray) -> dict[str, float]:
    found = bootstrap_ci(values)
    return {"mean": found.mean, "low": found.low, "high": found.high}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("skimage", type=Path)
    parser.add_argument("torch", type=Path)
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--method", default="secam")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    aris = []
    for path in sorted((args.skimage / "segments").glob("shard*.npz")):
        ours, theirs = read_arrays(args.torch / "segments" / path.name), read_arrays(path)
        aris += [adjusted_rand_score(theirs[k].ravel(), ours[k].ravel()) for k in theirs]

    ious: dict[str, list[float]] = {}
    masks = Path("explanations") / args.model / args.method
    for path in sorted((args.skimage / masks).glob("shard*.npz")):
        ours, theirs = read_arrays(args.torch / masks / path.name), read_arrays(path)
        for key, mask in theirs.items():
            union = (mask | ours[key]).sum()
            ious.setdefault(key.rsplit("/", 1)[1], []).append(
                1.0 if union == 0 else float((mask & ours[key]).sum() / union)
            )

    key = ["image_id", "model", "method", "selection"]
    rows = []
    for folder in (args.skimage, args.torch):
        metrics = pd.read_parquet(folder / "metrics.parquet")
        rows.append(metrics[(metrics["model"] == args.model) & (metrics["method"] == args.method)])
    paired = rows[0].merge(rows[1], on=key, suffixes=("_skimage", "_torch"))
    selections = {}
    for selection, group in paired.groupby("selection"):
        selections[selection] = {
            "n": len(group),
            "mask_iou": interval(np.array(ious[selection])),
            **{
                f"{metric}_difference": interval(
                    (group[f"{metric}_torch"] - group[f"{metric}_skimage"]).to_numpy()
                )
                for metric in ("box_iou", "ebpg")
            },
        }
    report(
        {
            "superpixels": {
                "images": len(aris),
                "ari_mean": float(np.mean(aris)),
                "ari_least": float(np.min(aris)),
                "identical": float(np.mean(np.array(aris) == 1.0)),
            },
            "selections": selections,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
