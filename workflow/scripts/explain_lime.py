from secam.pipeline.explain import run_explain_lime

from script_io import explanation_outputs, job_label, logged, shard_inputs

with logged(snakemake):
    run_explain_lime(
        snakemake.wildcards.method,
        snakemake.wildcards.model,
        snakemake.params.config,
        shard_inputs(snakemake),
        explanation_outputs(snakemake),
        threads=snakemake.threads,
        limit=snakemake.params.lime_limit,
        label=job_label(snakemake),
    )
