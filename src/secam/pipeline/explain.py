"""Explain: region scores and masks per method, model and shard.

SeCAM and the heatmap methods reuse the cached maps of the activate stage; LIME runs the model.
Every method writes the same three artifacts: an explanations table (one row per image and
selection), the explanation masks (NPZ, key ``<image_id>/<selection>``) and a timings table
(one row per image).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from secam.artifacts import ArrayWriter, open_arrays, read_table, write_table
from secam.faithfulness import InsertionProbe
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.lime import lime_scorer, probability_fn
from secam.map_explanation import Selected, explain_map
from secam.methods import method_spec
from secam.models.registry import LoadedModel
from secam.pipeline.common import (
    Progress,
    batch_size_for,
    lime_subset,
    load_configured_model,
    shard_rows,
)
from secam.selection import Selection, chosen_selections, selections_from_config
from secam.table_columns import TABLES
from secam.timing import Stopwatch


@dataclass(frozen=True)
class ShardInputs:
    """The cached artifacts of one shard that every method reads."""

    manifest: str | Path
    shard: str
    labels: str | Path
    segments: str | Path
    predictions: str | Path

    @contextmanager
    def open(
        self,
    ) -> Iterator[tuple[pd.DataFrame, Mapping[str, np.ndarray], pd.DataFrame, pd.DataFrame]]:
        """(manifest rows, label images by id, segments table, predictions table).

        Label images are read from disk one at a time, when indexed, so memory does not grow
        with the shard.
        """
        with open_arrays(self.labels) as labels:
            yield (
                shard_rows(self.manifest, self.shard),
                labels,
                read_table(self.segments, "segments").set_index("image_id"),
                read_table(self.predictions, "predictions").set_index("image_id"),
            )


@dataclass(frozen=True)
class ExplanationOutputs:
    explanations: str | Path
    masks: str | Path
    timings: str | Path


def selections_for(method: str, config: dict[str, Any]) -> list[Selection]:
    """Region methods (SeCAM): top-k, thresholds, then the sizes chosen without a hand-picked k
    (gap, sufficient:P); LIME: top-k, then those; heatmaps: pixel thresholds."""
    top, thresholds = selections_from_config(config["selection"])
    chosen = chosen_selections(config["selection"])
    kind = method_spec(method).kind
    return {"regions": top + thresholds + chosen, "lime": top + chosen, "pixels": thresholds}[kind]


def insertion_probe(
    model: LoadedModel, config: dict[str, Any], image: np.ndarray, labels: np.ndarray, target: int
) -> InsertionProbe:
    """What ``sufficient:P`` runs: the model on the image with only a prefix of the ranked
    superpixels kept (``selection.batch_size`` prefixes per pass)."""
    batch_size = batch_size_for(config["selection"]["batch_size"], model.device.type)
    return InsertionProbe(probability_fn(model), image, labels, target, batch_size)


# Components of one explanation's time, as ``<component>_seconds`` columns of ``timings``.
COMPONENTS = ("forward", "backward", "map", "upsample", "region", "sampling", "surrogate")


class _Writer:
    """Rows, timings and (streamed) masks of one method x model x shard."""

    def __init__(self, model: str, method: str, masks: ArrayWriter, threads: int) -> None:
        self.model, self.method = model, method
        self.masks, self.threads = masks, threads
        self.rows: list[dict[str, Any]] = []
        self.timings: list[dict[str, Any]] = []

    def add(
        self,
        image_id: str,
        target: int,
        seconds: dict[str, float],
        segmentation_seconds: float,
        device: str,
        results: Sequence[Selected],
        region_scores: np.ndarray | None,
        n_regions: int,
        batch_size: int,
        threads: int | None = None,
    ) -> None:
        """``seconds``: the image's time per component of :data:`COMPONENTS` (absent ones 0);
        ``threads``: those of the job that ran the model, when it was another job."""
        unknown = set(seconds) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown timing components {sorted(unknown)}")
        shared = sum(seconds.values())
        select_times = []
        for result in results:
            selection, mask, select_seconds = result.selection, result.mask, result.seconds
            self.masks.add(f"{image_id}/{selection.name}", mask)
            if not selection.needs_model:
                # the method's own time; sufficient:P's forward passes are in its row only
                select_times.append(select_seconds)
            self.rows.append(
                {
                    "image_id": image_id,
                    "model": self.model,
                    "method": self.method,
                    "selection": selection.name,
                    "target_index": int(target),
                    "n_regions": n_regions,
                    "selected_regions": [int(r) for r in result.regions],
                    "region_scores": []
                    if region_scores is None
                    else [float(s) for s in region_scores],
                    "truncated": bool(result.truncated),
                    "area": float(mask.mean()),
                    "seconds": shared + select_seconds,
                }
            )
        select_mean = float(np.mean(select_times)) if select_times else 0.0
        self.timings.append(
            {
                "image_id": image_id,
                "model": self.model,
                "method": self.method,
                "total_seconds": shared + select_mean,
                **{f"{c}_seconds": float(seconds.get(c, 0.0)) for c in COMPONENTS},
                "select_seconds": select_mean,
                "segmentation_seconds": segmentation_seconds,
                "batch_size": int(batch_size),
                "device": device,
                "torch_version": torch.__version__,
                "threads": self.threads if threads is None else int(threads),
            }
        )

    def write_tables(self, outputs: ExplanationOutputs) -> None:
        write_table(
            pd.DataFrame(self.rows, columns=list(TABLES["explanations"])),
            outputs.explanations,
            "explanations",
        )
        write_table(
            pd.DataFrame(self.timings, columns=list(TABLES["timings"])), outputs.timings, "timings"
        )


@contextmanager
def _writing(model: str, method: str, outputs: ExplanationOutputs) -> Iterator[_Writer]:
    """A writer whose masks stream to disk; the tables follow when the block succeeds."""
    with ArrayWriter(outputs.masks) as masks:
        writer = _Writer(model, method, masks, torch.get_num_threads())
        yield writer
    writer.write_tables(outputs)


def run_explain_maps(
    method: str,
    model_name: str,
    config: dict[str, Any],
    inputs: ShardInputs,
    maps_path: str | Path,
    map_timings_path: str | Path,
    outputs: ExplanationOutputs,
    threads: int = 1,
) -> None:
    """SeCAM (over any map) or a thresholded heatmap, from the cached maps; the model is
    loaded only for SeCAM's ``sufficient:P`` selections."""
    spec = method_spec(method)
    if spec.kind == "lime":
        raise ValueError("LIME runs the model: use run_explain_lime")
    map_times = read_table(map_timings_path, "map_timings").set_index(["image_id", "source"])
    selections = selections_for(method, config)
    device = torch.device("cpu")  # maps are tiny; the region mean is a scatter on the host
    model = None

    with (
        inputs.open() as (rows, label_images, segmentation, predictions),
        open_arrays(maps_path) as maps,
    ):
        if len(rows) and any(s.needs_model for s in selections):
            model = load_configured_model(model_name, config, threads)
            device = model.device  # the sufficient:P lap waits for the device's passes
        with _writing(model_name, method, outputs) as writer:
            for row in rows.itertuples():
                prediction = predictions.loc[row.image_id]
                if not spec.applies_to(prediction["head_path"]):
                    print(
                        f"{model_name}: {method} needs a GAP + linear head; skipped {row.image_id}"
                    )
                    continue
                source = spec.resolved_source(prediction["head_path"])
                labels = label_images[row.image_id] if spec.kind == "regions" else None
                target = int(prediction["target_index"])
                probe = None
                if model is not None and labels is not None:
                    image = load_rgb(ImageSource.from_row(row))
                    probe = insertion_probe(model, config, image, labels, target)
                watch = Stopwatch(device)
                explained = explain_map(
                    torch.from_numpy(maps[f"{source}/{row.image_id}"]),
                    (row.height, row.width),
                    labels,
                    spec.kind,
                    selections,
                    watch=watch,
                    device=device,
                    probe=probe,
                )
                scores = explained.region_scores
                pass_times = map_times.loc[(row.image_id, source)]
                writer.add(
                    row.image_id,
                    target,
                    {
                        "forward": float(pass_times["forward_seconds"]),
                        "backward": float(pass_times["backward_seconds"]),
                        "map": float(pass_times["map_seconds"]),
                        "upsample": watch["upsample"],
                        "region": watch["region"],
                    },
                    float(segmentation.loc[row.image_id, "seconds"]),
                    str(prediction["device"]),
                    explained.selected,
                    scores,
                    int(labels.max()) + 1 if labels is not None else 0,
                    int(pass_times["batch_size"]),
                    int(pass_times["threads"]),
                )


def run_explain_lime(
    method: str,
    model_name: str,
    config: dict[str, Any],
    inputs: ShardInputs,
    outputs: ExplanationOutputs,
    threads: int = 1,
    limit: int | None = None,
    label: str | None = None,
) -> None:
    """LIME (``lime``: the package; ``lime-batched``: built on the device) on the cached
    superpixels, for the class already explained.

    ``limit``: see :func:`lime_subset`. LIME takes seconds to minutes per image, so the loop
    reports its progress (:class:`Progress`), its lines starting with ``label`` (default:
    method, model and shard).
    """
    options = config["lime"]
    subset = lime_subset(
        read_table(inputs.manifest, "manifest")["image_id"],
        options["max_images"],
        options["seed"],
        limit,
    )
    model = load_configured_model(model_name, config, threads)
    batch_size = max(1, batch_size_for(options["batch_size"], model.device.type))
    selections = selections_for(method, config)
    spec = method_spec(method)
    scorer = lime_scorer(method)

    def explain(
        image: np.ndarray, labels: np.ndarray, target: int, samples: int, watch: Stopwatch
    ) -> np.ndarray:
        return scorer(
            model,
            image,
            labels,
            target,
            num_samples=samples,
            seed=options["seed"],
            batch_size=batch_size,
            kernel_width=options["kernel_width"],
            watch=watch,
        )

    with (
        inputs.open() as (rows, label_images, segmentation, predictions),
        _writing(model_name, method, outputs) as writer,
    ):
        rows = rows[rows["image_id"].isin(subset)].reset_index(drop=True)
        if len(rows) and config["timing"]["warmup"]:
            first = rows.iloc[0]
            explain(
                load_rgb(ImageSource.from_row(first)),
                label_images[first.image_id],
                0,
                min(options["num_samples"], batch_size),
                Stopwatch(model.device),
            )
        progress = Progress(label or f"{method} {model_name} {inputs.shard}", len(rows))
        for row in progress.track(rows.itertuples()):
            image, labels = load_rgb(ImageSource.from_row(row)), label_images[row.image_id]
            target = int(predictions.loc[row.image_id, "target_index"])
            watch = Stopwatch(model.device)
            with watch.lap("total"):
                scores = explain(image, labels, target, options["num_samples"], watch)
            # what the scorer did not time itself is its sampling (the package's data_labels)
            sampling = watch["total"] - watch["forward"] - watch["surrogate"]
            results = explain_map(
                None,
                labels.shape,
                labels,
                spec.kind,
                selections,
                region_scores=scores,
                device=model.device,
                probe=insertion_probe(model, config, image, labels, target),
            ).selected
            writer.add(
                row.image_id,
                target,
                {
                    "forward": watch["forward"],
                    "sampling": sampling,
                    "surrogate": watch["surrogate"],
                },
                float(segmentation.loc[row.image_id, "seconds"]),
                model.device_name(),
                results,
                scores,
                int(labels.max()) + 1,
                batch_size,
            )
