import atexit
import math
import sys

import pandas as pd

from secam.config import ConfigError, check_run_inputs, validate_config
from secam.integrity import damaged_artifacts, set_aside, stale_temporaries
from secam.locking import ResultsLock, ResultsLockedError
from secam.methods import METHODS as METHOD_SPECS
from secam.segmentation import ALGORITHMS as SEGMENTATION_ALGORITHMS


try:
    _validated = validate_config(dict(config))
except ConfigError as error:
    raise WorkflowError(str(error)) from None
config.clear()
config.update(_validated)

RESULTS = config["results"]


def note(message):
    print(f"secam: {message}", file=sys.stderr)


def prepare_results_folder():
    """Before Snakemake plans any job, in its main process only (not in the jobs a cluster
    executor starts): check the dataset files and models, lock the results folder, remove
    what killed writers left, and move damaged cached artifacts aside so that the jobs that
    write them run again. A dry run changes nothing: it only reports."""
    if not workflow.is_main_process:
        return
    dry_run = workflow.output_settings.dryrun
    try:
        check_run_inputs(config, weights=not dry_run)
    except ConfigError as error:
        raise WorkflowError(str(error)) from None
    lock = ResultsLock(RESULTS)
    if dry_run:
        holder = lock.holder()
        if holder is not None and not holder.is_gone():
            note(f"{RESULTS} is in use by another run ({holder.describe()})")
            return
        for damage in damaged_artifacts(RESULTS):
            note(f"{damage.path} is damaged ({damage.problem}); a run rebuilds it")
        return
    try:
        notes = lock.acquire()
    except ResultsLockedError as error:
        raise WorkflowError(str(error)) from None
    atexit.register(lock.release)
    for message in notes:
        note(message)
    for path in stale_temporaries(RESULTS):
        path.unlink(missing_ok=True)
        note(f"removed {path}, left by a writer that was killed")
    for damage in damaged_artifacts(RESULTS):
        moved = set_aside(damage.path)
        note(
            f"damaged artifact {damage.path}: {damage.problem}; moved to {moved.name}, "
            "the job that writes it runs again"
        )


prepare_results_folder()

MODELS = config["models"]
METHODS = config["methods"]
COMPARED_ALGORITHMS = config["segmentation"]["compare"]
COMPARED_METHODS = config["segmentation"]["compare_methods"]
MAP_METHOD_PATTERN = "|".join(m for m, spec in METHOD_SPECS.items() if spec.kind != "lime")
LIME_METHOD_PATTERN = "|".join(m for m, spec in METHOD_SPECS.items() if spec.kind == "lime")


SHARD_SIZE = config["dataset"]["shard_size"]

# The config sections each per-image rule reads, passed as its params so that a change
# elsewhere (a report option, a key added with a default by a newer pipeline) does not rerun it.
MODEL_SECTIONS = ("model_options", "device")
RULE_SECTIONS = {
    "activate": ("methods", "target", "activation", "score_cam", "timing", *MODEL_SECTIONS),
    "explain_maps": ("selection",),
    "explain_lime": ("lime", "selection", "timing", *MODEL_SECTIONS),
    "faithfulness": ("faithfulness", *MODEL_SECTIONS),
    "baselines": ("baselines", "selection"),
}


def config_sections(rule_name):
    """The part of the validated config a per-image rule reads (``RULE_SECTIONS``)."""
    sections = {key: config[key] for key in RULE_SECTIONS[rule_name]}
    if "methods" in sections:
        # only the methods built on a map decide which maps activate computes: adding LIME
        # (or reordering the list) reruns no forward pass
        sections["methods"] = sorted(m for m in METHODS if METHOD_SPECS[m].source is not None)
    return sections


def runtime(seconds_per_image, minimum=10):
    """A job's runtime request (minutes) for one shard: twice the expected time per image on
    a GPU node (README "Scaling") times the shard size, doubled again on each retry."""

    def minutes(wildcards, attempt):
        per_image = seconds_per_image(wildcards) if callable(seconds_per_image) else seconds_per_image
        return max(minimum, math.ceil(2**attempt * per_image * SHARD_SIZE / 60))

    return minutes


def lime_seconds_per_image(wildcards):
    # the lime package builds its perturbed images on the CPU: about 50x lime-batched on a GPU
    return 10.0 if wildcards.method == "lime" else 0.5


wildcard_constraints:
    shard=r"shard\d+",
    model=r"[A-Za-z0-9_]+",


def shards():
    """Shards of the staged manifest (known once the stage checkpoint has run)."""
    manifest = checkpoints.stage.get().output.manifest
    return sorted(pd.read_parquet(manifest, columns=["shard"])["shard"].unique())


def per_shard(pattern, **wildcards):
    return lambda _: expand(pattern, shard=shards(), **wildcards)


def all_metrics(_):
    return expand(
        f"{RESULTS}/metrics/{{model}}/{{method}}/{{shard}}.parquet",
        model=MODELS,
        method=METHODS,
        shard=shards(),
    )


def all_timings(_):
    return expand(
        f"{RESULTS}/timings/{{model}}/{{method}}/{{shard}}.parquet",
        model=MODELS,
        method=METHODS,
        shard=shards(),
    )


def all_baselines(_):
    return expand(
        f"{RESULTS}/baselines/{{model}}/{{shard}}.parquet", model=MODELS, shard=shards()
    )


def all_matched(_):
    return expand(f"{RESULTS}/matched/{{model}}/{{shard}}.parquet", model=MODELS, shard=shards())


def all_explanations(kind):
    suffix = "parquet" if kind == "table" else "npz"
    return lambda _: expand(
        f"{RESULTS}/explanations/{{model}}/{{method}}/{{shard}}.{suffix}",
        model=MODELS,
        method=METHODS,
        shard=shards(),
    )


def all_faithfulness(_):
    return expand(
        f"{RESULTS}/faithfulness/{{model}}/{{method}}/{{shard}}.parquet",
        model=MODELS,
        method=METHODS,
        shard=shards(),
    )


def all_predictions(_):
    return expand(
        f"{RESULTS}/activations/{{model}}/{{shard}}.parquet", model=MODELS, shard=shards()
    )


def all_maps(_):
    return expand(f"{RESULTS}/activations/{{model}}/{{shard}}.npz", model=MODELS, shard=shards())


def all_segments(_):
    return expand(f"{RESULTS}/segments/{{shard}}.npz", shard=shards())


def comparison_files(kind, suffix):
    """The segmentation comparison's per-shard files: the main run's or the compared ones'."""
    root = f"{RESULTS}/segcompare/{{algorithm}}" if kind == "compared" else RESULTS
    pattern = {
        "metrics": f"{root}/metrics/{{model}}/{{method}}/{{shard}}.parquet",
        "masks": f"{root}/explanations/{{model}}/{{method}}/{{shard}}.npz",
        "labels": f"{root}/segments/{{shard}}.npz",
        "segments": f"{root}/segments/{{shard}}.parquet",
    }[suffix]
    return lambda _: sorted(
        set(
            expand(
                pattern,
                algorithm=COMPARED_ALGORITHMS,
                model=MODELS,
                method=COMPARED_METHODS,
                shard=shards(),
            )
        )
    )


def summary_outputs():
    return [
        f"{RESULTS}/metrics.parquet",
        f"{RESULTS}/timings.parquet",
        f"{RESULTS}/tables/summary.csv",
        f"{RESULTS}/tables/summary.md",
        f"{RESULTS}/run_info.json",
        f"{RESULTS}/figures/examples.png",
        f"{RESULTS}/tables/quantitative.csv",
        f"{RESULTS}/tables/paired.csv",
        f"{RESULTS}/tables/timing.csv",
        f"{RESULTS}/tables/claims.csv",
        f"{RESULTS}/figures/timing.png",
        f"{RESULTS}/tables/table1.csv",
        *(f"{RESULTS}/figures/figure{n}.png" for n in range(1, 6)),
        f"{RESULTS}/figures/table2.png",
        f"{RESULTS}/figures/table3.png",
        *(
            [f"{RESULTS}/tables/segmentation.csv", f"{RESULTS}/figures/segmentation.png"]
            if COMPARED_ALGORITHMS
            else []
        ),
    ]


def cached_artifacts(_):
    """Every Parquet table and NPZ archive this configuration writes, from the outputs the
    rules declare. Rule all asks for each: Snakemake does not rerun a job for a missing file
    whose dependents are up to date, so a cached file deleted, or damaged and set aside, would
    otherwise stay missing."""
    shard = {"shard": shards()}
    compared = {"algorithm": COMPARED_ALGORITHMS, "model": MODELS, "method": COMPARED_METHODS}
    return [
        *checkpoints.stage.rule.output,
        *rules.collect.output,
        *expand(rules.segment.output, **shard),
        *expand(rules.activate.output, model=MODELS, **shard),
        *expand(
            [*rules.explain_maps.output, *rules.evaluate.output, *rules.faithfulness.output],
            model=MODELS,
            method=METHODS,
            **shard,
        ),
        *expand(rules.baselines.output, model=MODELS, **shard),
        *expand(rules.segment_compared.output, algorithm=COMPARED_ALGORITHMS, **shard),
        *expand(
            [*rules.explain_maps_compared.output, *rules.evaluate_compared.output],
            **compared,
            **shard,
        ),
    ]
