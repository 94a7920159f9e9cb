from secam.pipeline.explain import run_explain_maps

from script_io import explanation_outputs, logged, shard_inputs

with logged(snakemake):
    run_explain_maps(
        snakemake.wildcards.method,
        snakemake.wildcards.model,
        snakemake.params.config,
        shard_inputs(snakemake),
        snakemake.input.maps,
        snakemake.input.map_timings,
        explanation_outputs(snakemake),
        threads=snakemake.threads,
    )
