import sys

import pandas as pd

from secam.config import ConfigError, validate_config, with_command_line_values
from secam.errors import SecamError
from secam.layout import MERGED, ResultsLayout
from secam.locking import ResultsLock
from secam.methods import METHODS as METHOD_SPECS
from secam.pipeline.results_folder import prepare_results_folder
from secam.scheduler import expected_seconds_per_image, runtime_minutes
from secam.segmentation import ALGORITHMS as SEGMENTATION_ALGORITHMS

try:
    # a nested --config value (segmentation={n_segments: 30}) reaches here as untyped text
    _given = with_command_line_values(dict(config), workflow.config_settings.config)
    _validated = validate_config(_given)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
config.clear()
config.update(_validated)

# Every path under the results folder, spelled once (src/secam/layout.py): the rules build
# their inputs, outputs and logs from it, and the report's file mappings too.
LAYOUT = ResultsLayout(config["results"])
RESULTS = LAYOUT.root


def note(message):
    print(f"secam: {message}", file=sys.stderr)


# Before Snakemake plans any job, in its main process only (not in the jobs a cluster executor
# starts): check the inputs, lock the results folder and make it sound; a dry run only reports.
if workflow.is_main_process:
    try:
        prepare_results_folder(config, RESULTS, dry_run=workflow.output_settings.dryrun, note=note)
    except SecamError as error:
        raise WorkflowError(str(error)) from None


onstart:
    # The scheduler's name for this run's jobs (snakemake-executor-plugin-slurm's run id), kept
    # in the results lock: if this process is killed, the next run finds the jobs it left
    # queued or running and waits for them (prepare_results_folder).
    run_id = getattr(getattr(workflow.scheduler, "_executor", None), "run_uuid", None)
    if run_id is not None:
        ResultsLock(RESULTS).record_scheduler_run(run_id)


MODELS = config["models"]
METHODS = config["methods"]
STAGES = config["stages"]
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
    "explain_maps": ("selection", *MODEL_SECTIONS),
    "explain_lime": ("lime", "selection", "timing", *MODEL_SECTIONS),
    "faithfulness": ("faithfulness", *MODEL_SECTIONS),
    "baselines": ("baselines", "selection", *MODEL_SECTIONS),
}


def config_sections(rule_name):
    """The part of the validated config a per-image rule reads (``RULE_SECTIONS``)."""
    sections = {key: config[key] for key in RULE_SECTIONS[rule_name]}
    if "methods" in sections:
        # only the methods built on a map decide which maps activate computes: adding LIME
        # (or reordering the list) reruns no forward pass
        sections["methods"] = sorted(m for m in METHODS if METHOD_SPECS[m].source is not None)
    return sections


def without_sufficient(sections):
    """The sections with no sufficient:P selection: the segmentation comparison compares what
    each algorithm's superpixels make of the same ranking, and sufficient:P would rerun the
    model on every image for each algorithm."""
    return {**sections, "selection": {**sections["selection"], "sufficient": []}}


def selection_threads(wildcards):
    """Two threads where a job that needs no model otherwise runs it for sufficient:P, that is
    SeCAM's explain job (the heatmaps select no regions) and the baselines (random regions).
    No GPU is asked for: a CPU job runs its few passes per image, and a cluster profile routes
    jobs by rule, so SeCAM's job could not go where the heatmaps' do not."""
    method = getattr(wildcards, "method", None)
    regions = method is None or METHOD_SPECS[method].kind == "regions"
    return 2 if config["selection"]["sufficient"] and regions else 1


def runtime(rule_name):
    """A rule's runtime request (minutes) for one shard, doubled on each retry
    (secam.scheduler.runtime_minutes, from the rule's expected seconds per image)."""

    def minutes(wildcards, attempt):
        per_image = expected_seconds_per_image(rule_name, getattr(wildcards, "method", None))
        return runtime_minutes(per_image, SHARD_SIZE, attempt)

    return minutes


wildcard_constraints:
    shard=r"shard\d+",
    model=r"[A-Za-z0-9_]+",


def shards():
    """Shards of the staged manifest (known once the stage checkpoint has run)."""
    manifest = checkpoints.stage.get().output.manifest
    return sorted(pd.read_parquet(manifest, columns=["shard"])["shard"].unique())


def per_shard_files(**kinds):
    """A function of a rule's wildcards, for its params and (through ``paths_of``) its inputs:
    for each ``kind=(template, values)``, {key: path} of the ``LAYOUT`` template filled for
    every combination of ``values`` (wildcard -> its values) and every shard of the manifest;
    a key is the tuple of the wildcard values in the order given, the shard last."""

    def files(_):
        shard = shards()
        return {
            kind: LAYOUT.files(template, **values, shard=shard)
            for kind, (template, values) in kinds.items()
        }

    return files


def paths_of(files, kind):
    """An input function: the paths of ``kind`` in the mappings of ``files``."""
    return lambda wildcards: list(files(wildcards)[kind].values())


PER_MODEL = {"model": MODELS}
PER_EXPLANATION = {"model": MODELS, "method": METHODS}


def comparison_files(_):
    """What the segmentation comparison reads: "metrics" and "masks" as
    {(algorithm, model, method, shard): path}, "labels" and "segments" (the superpixels) as
    {(algorithm, shard): path}; the main algorithm's are the main run's files, each compared
    algorithm's those under ``LAYOUT.comparison_root``."""
    main = config["segmentation"]["algorithm"]
    shard = shards()
    explained = {"model": MODELS, "method": COMPARED_METHODS, "shard": shard}

    def main_and_compared(artifact, **values):
        main_files = LAYOUT.files(getattr(LAYOUT, artifact), **values)
        return {
            **{(main, *key): path for key, path in main_files.items()},
            **LAYOUT.files(LAYOUT.compared(artifact), algorithm=COMPARED_ALGORITHMS, **values),
        }

    return {
        "metrics": main_and_compared("metrics", **explained),
        "masks": main_and_compared("explanation_masks", **explained),
        "labels": main_and_compared("segment_labels", shard=shard),
        "segments": main_and_compared("segment_table", shard=shard),
    }


def summary_outputs():
    """Every file the report rules write (the segmentation comparison's when it runs)."""
    return [
        *rules.summary.output,
        *rules.examples.output,
        *rules.quantitative.output,
        *(rules.paper_outputs.output if STAGES["paper_figures"] else []),
        *(rules.segmentation_comparison.output if COMPARED_ALGORITHMS else []),
        *(rules.sanity_report.output if STAGES["sanity"] else []),
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
            [
                *rules.explain_maps.output,
                *rules.evaluate.output,
                *(rules.faithfulness.output if STAGES["faithfulness"] else []),
            ],
            model=MODELS,
            method=METHODS,
            **shard,
        ),
        *(expand(rules.baselines.output, model=MODELS, **shard) if STAGES["baselines"] else []),
        *(expand(rules.sanity.output, model=MODELS, **shard) if STAGES["sanity"] else []),
        *expand(rules.segment_compared.output, algorithm=COMPARED_ALGORITHMS, **shard),
        *expand(
            [*rules.explain_maps_compared.output, *rules.evaluate_compared.output],
            **compared,
            **shard,
        ),
    ]
