"""Completeness: every explanation the manifest calls for is in the merged tables, and nothing
else is.

A shard file can be valid and still hold the wrong rows (a partial rerun by hand, a file copied
from another run). ``collect`` therefore compares the merged tables with what the manifest,
the predictions and the configuration call for, and stops with the missing and extra image ids
instead of letting the summary's ``n`` quietly shrink.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from secam.errors import SecamError
from secam.methods import method_spec
from secam.pipeline.common import lime_subset

# table name in collect -> the columns that identify one explanation (or one image) in it
IDENTIFIED_BY = {
    "metrics": ("model", "method", "image_id"),
    "timings": ("model", "method", "image_id"),
    "faithfulness": ("model", "method", "image_id"),
    "matched": ("model", "method", "image_id"),
    "baselines": ("model", "image_id"),
}
SHOWN_IDS = 10  # ids listed per group in the message; the count says how many there are


class IncompleteResultsError(SecamError, RuntimeError):
    """The shards do not hold what the manifest calls for."""


def expected_explanations(
    manifest: pd.DataFrame,
    predictions: pd.DataFrame,
    models: Sequence[str],
    methods: Sequence[str],
    lime_max_images: int | None,
    lime_seed: int,
) -> pd.DataFrame:
    """(model, method, image_id, shard) of every explanation the run must make: every image
    for every method, except LIME outside its seeded subset and CAM on a head without global
    average pooling. Raises :class:`IncompleteResultsError` when a staged image has no
    prediction for a model."""
    shards = manifest.set_index("image_id")["shard"]
    heads = predictions.set_index(["model", "image_id"])["head_path"]
    missing = [
        (model, image_id)
        for model in models
        for image_id in shards.index
        if (model, image_id) not in heads.index
    ]
    if missing:
        raise IncompleteResultsError(
            _listing("predictions: images of the manifest without a prediction", missing)
        )
    subset = lime_subset(manifest["image_id"], lime_max_images, lime_seed)
    rows = [
        (model, method, image_id, shards[image_id])
        for model in models
        for method in methods
        for image_id in shards.index
        if (method_spec(method).kind != "lime" or image_id in subset)
        and method_spec(method).applies_to(str(heads[(model, image_id)]))
    ]
    return pd.DataFrame(rows, columns=["model", "method", "image_id", "shard"])


def check_complete(
    tables: Mapping[str, pd.DataFrame],
    sources: Mapping[str, pd.Series],
    expected: pd.DataFrame,
) -> None:
    """Compare each merged table (by its name in :data:`IDENTIFIED_BY`) with ``expected``.

    ``sources`` gives, per table, the shard file each row came from, so that the message names
    the files to rebuild. Raises :class:`IncompleteResultsError` listing, per table, model,
    method and shard, the missing and the extra image ids.
    """
    shard_of = expected.drop_duplicates("image_id").set_index("image_id")["shard"]
    problems: list[str] = []
    for name, frame in sorted(tables.items()):
        keys = list(IDENTIFIED_BY[name])
        wanted = set(expected[keys].itertuples(index=False, name=None))
        present = set(frame[keys].itertuples(index=False, name=None))
        files = _files_by_group(frame, sources[name], keys, shard_of)
        for kind, found in (("missing", wanted - present), ("extra", present - wanted)):
            for group, ids in _grouped(found, shard_of).items():
                where = "/".join(group)
                named = ", ".join(sorted(files.get(group, []))) or "no file holds its rows"
                shown = ", ".join(ids[:SHOWN_IDS]) + (" ..." if len(ids) > SHOWN_IDS else "")
                problems.append(
                    f"  - {name} {where}: {len(ids)} image(s) {kind}: {shown} (file: {named})"
                )
    if problems:
        raise IncompleteResultsError(
            "the shards do not hold what the manifest calls for:\n"
            + "\n".join(problems)
            + "\nDelete the files named and run snakemake again: the jobs that write them run "
            "again."
        )


def _grouped(found: Iterable[tuple[str, ...]], shard_of: pd.Series) -> dict[tuple, list[str]]:
    """Image ids by (model[, method], shard)."""
    groups: dict[tuple, list[str]] = {}
    for key in sorted(found):
        image_id = key[-1]
        shard = str(shard_of.get(image_id, "unknown shard"))
        groups.setdefault((*key[:-1], shard), []).append(image_id)
    return groups


def _files_by_group(
    frame: pd.DataFrame, source: pd.Series, keys: list[str], shard_of: pd.Series
) -> dict[tuple, set[str]]:
    files: dict[tuple, set[str]] = {}
    for values, path in zip(frame[keys].itertuples(index=False, name=None), source, strict=True):
        shard = str(shard_of.get(values[-1], "unknown shard"))
        files.setdefault((*values[:-1], shard), set()).add(str(Path(path)))
    return files


def _listing(title: str, pairs: Sequence[tuple[str, str]]) -> str:
    shown = ", ".join("/".join(pair) for pair in pairs[:SHOWN_IDS])
    more = " ..." if len(pairs) > SHOWN_IDS else ""
    return f"{title}: {len(pairs)} (model/image): {shown}{more}"
