from secam.pipeline.report import COLLECTED, run_collect

from script_io import logged

files = snakemake.params.files  # kind -> {(model[, method], shard): path}, from the rule

with logged(snakemake):
    skipped = snakemake.params.not_collected  # the tables of the stages switched off
    run_collect(
        {
            name: (files[name], getattr(snakemake.output, name))
            for name in COLLECTED
            if name not in skipped
        },
        snakemake.input.manifest,
        files["predictions"],
        snakemake.params.models,
        snakemake.params.methods,
        snakemake.params.lime_sample,
        not_run={name: getattr(snakemake.output, name) for name in skipped},
    )
