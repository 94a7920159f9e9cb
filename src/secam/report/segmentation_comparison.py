"""The segmentation comparison (paper section V.D): does the superpixel algorithm matter?

For every algorithm, the superpixel methods' localisation metrics, the region counts that make
the algorithms comparable, and the agreement of each explanation with the main algorithm's
explanation of the same image (IoU of the two selected masks).

The shard files come as mappings from their key to their path: (algorithm, model, method, shard)
for masks, (algorithm, shard) for the superpixels; the main algorithm's files are the main run's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from secam.artifacts import array_keys, atomic_path, read_arrays, read_table
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.methods import method_spec
from secam.report.ordering import ordered
from secam.report.overlay import draw_overlay
from secam.selection import SHOWN
from secam.statistics import RESAMPLES, SEED, bootstrap_ci
from secam.table_columns import TABLES, check_columns

# (algorithm, model, method, shard) of a mask file; (algorithm, shard) of a superpixel file
MaskKey = tuple[str, str, str, str]
SegmentsKey = tuple[str, str]


def mask_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks of one image (1 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def load_masks(
    files: Mapping[MaskKey, str | Path], image_ids: Sequence[str] | None = None
) -> dict[tuple[str, str, str], dict]:
    """(algorithm, model, method) -> {"<image_id>/<selection>": mask}, for ``image_ids`` only
    (all when None: only for small runs, full-resolution masks add up)."""
    wanted = None if image_ids is None else set(image_ids)
    masks: dict[tuple[str, str, str], dict] = {}
    for (algorithm, model, method, _), path in sorted(files.items()):
        keys = [k for k in array_keys(path) if wanted is None or k.rsplit("/", 1)[0] in wanted]
        masks.setdefault((algorithm, model, method), {}).update(read_arrays(path, keys))
    return masks


def explained_images(files: Mapping[MaskKey, str | Path]) -> dict[tuple[str, str, str], set]:
    """(algorithm, model, method) -> the image ids it explained (reads only the NPZ key lists)."""
    explained: dict[tuple[str, str, str], set] = {}
    for (algorithm, model, method, _), path in sorted(files.items()):
        ids = {key.rsplit("/", 1)[0] for key in array_keys(path)}
        explained.setdefault((algorithm, model, method), set()).update(ids)
    return explained


def region_counts(files: Mapping[SegmentsKey, str | Path]) -> pd.DataFrame:
    """image_id, algorithm, n_regions from the segment tables."""
    frames = []
    for (algorithm, _), path in sorted(files.items()):
        table = read_table(path, "segments")[["image_id", "n_regions"]]
        frames.append(table.assign(algorithm=algorithm))
    if not frames:
        return pd.DataFrame(columns=["image_id", "n_regions", "algorithm"])
    return pd.concat(frames, ignore_index=True)


AGREEMENT_COLUMNS = ["algorithm", "model", "method", "selection", "image_id", "agreement"]


def agreement_of(
    masks: dict[str, np.ndarray], reference: dict[str, np.ndarray], **keys: str
) -> list[dict[str, object]]:
    """Per ``<image_id>/<selection>`` key both hold: IoU of the mask with the reference mask."""
    rows = []
    for key in sorted(set(masks) & set(reference)):
        image_id, selection = key.rsplit("/", 1)
        rows.append(
            {
                **keys,
                "selection": selection,
                "image_id": image_id,
                "agreement": mask_agreement(masks[key], reference[key]),
            }
        )
    return rows


def agreement_rows(files: Mapping[MaskKey, str | Path], main: str) -> pd.DataFrame:
    """Per image: IoU of each compared algorithm's mask with the ``main`` algorithm's.

    Reads one compared shard file and its main-run counterpart at a time, so memory does not
    grow with the number of images.
    """
    rows = []
    for (algorithm, model, method, shard), path in sorted(files.items()):
        reference = files.get((main, model, method, shard))
        if algorithm == main or reference is None:
            continue
        rows += agreement_of(
            read_arrays(path),
            read_arrays(reference),
            algorithm=algorithm,
            model=model,
            method=method,
        )
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def comparison_table(
    metrics: pd.DataFrame,
    counts: pd.DataFrame,
    agreement: pd.DataFrame,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> pd.DataFrame:
    """Per algorithm x model x method x selection: region counts, metrics and agreement.

    ``metrics`` are metric rows with an ``algorithm`` column; metric CIs are 95 % bootstrap
    intervals of the mean over images.
    """
    rows = []
    keys = ["algorithm", "model", "method", "selection"]
    for (algorithm, model, method, selection), group in metrics.groupby(keys):
        images = set(group["image_id"])
        regions = counts[(counts["algorithm"] == algorithm) & counts["image_id"].isin(images)]
        row: dict[str, object] = {
            "algorithm": algorithm,
            "model": model,
            "method": method,
            "selection": selection,
            "n": len(images),
            "regions_mean": float(regions["n_regions"].mean()),
            "regions_median": float(regions["n_regions"].median()),
            "area": float(group["area"].mean()),
        }
        for metric in ("box_iou", "ebpg"):
            interval = bootstrap_ci(group[metric].to_numpy(float), resamples=resamples, seed=seed)
            row.update(
                {
                    metric: interval.mean,
                    f"{metric}_low": interval.low,
                    f"{metric}_high": interval.high,
                }
            )
        row["mask_iou"] = float(group["mask_iou"].mean())
        agreed = agreement[
            (agreement["algorithm"] == algorithm)
            & (agreement["model"] == model)
            & (agreement["method"] == method)
            & (agreement["selection"] == selection)
        ]["agreement"].to_numpy(float)
        interval = bootstrap_ci(agreed, resamples=resamples, seed=seed)
        row.update(
            {
                "agreement": interval.mean,
                "agreement_low": interval.low,
                "agreement_high": interval.high,
            }
        )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(TABLES["segmentation"]))
    if not frame.empty:
        compared = set(agreement["algorithm"])
        # Paper order of methods and selections; within each, the main algorithm first.
        frame = ordered(
            frame,
            "method",
            "selection",
            "algorithm",
            ranks={"algorithm": lambda algorithm: (algorithm in compared, algorithm)},
        )
    return check_columns(frame, "segmentation")


def draw_comparison(
    manifest: pd.DataFrame,
    labels: dict[str, dict[str, np.ndarray]],
    masks: dict[tuple[str, str, str], dict],
    algorithms: Sequence[str],
    model: str,
    methods: Sequence[str],
    image_ids: Sequence[str],
    out: Sequence[str | Path],
) -> None:
    """Rows: algorithm x method (top-3 regions); columns: images. Written to every path."""
    rows = [(a, m) for a in algorithms for m in methods]
    columns = list(image_ids) or ["(no image)"]
    figure, axes = plt.subplots(
        len(rows),
        len(columns),
        figsize=(2.6 * len(columns), 2.2 * len(rows)),
        squeeze=False,
    )
    indexed = manifest.set_index("image_id")
    for c, image_id in enumerate(columns):
        image = None
        if image_id in indexed.index:
            image = load_rgb(ImageSource.from_row(indexed.loc[image_id]))
        for r, (algorithm, method) in enumerate(rows):
            axis = axes[r][c]
            axis.set_xticks([])
            axis.set_yticks([])
            segmentation = labels.get(algorithm, {}).get(image_id)
            mask = masks.get((algorithm, model, method), {}).get(f"{image_id}/{SHOWN.name}")
            if image is None or segmentation is None or mask is None:
                axis.text(0.5, 0.5, "not run", ha="center", va="center", fontsize=8)
            else:
                draw_overlay(image, segmentation, mask, np.array([]), axis=axis, numbers=False)
                axis.set_axis_on()  # keep the frame for the row and column labels
                axis.set_xticks([])
                axis.set_yticks([])
                axis.set_xlabel(f"{int(segmentation.max()) + 1} regions", fontsize=7)
            if c == 0:
                name = method_spec(method).display_name
                axis.set_ylabel(f"{algorithm}\n{name} (3)", fontsize=8)
            if r == 0:
                axis.set_title(image_id, fontsize=8)
    figure.tight_layout()
    for path in out:
        with atomic_path(path) as tmp:
            figure.savefig(tmp, dpi=110, format=Path(path).suffix.lstrip("."))
    plt.close(figure)
