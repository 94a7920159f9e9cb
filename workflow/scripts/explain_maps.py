from secam.pipeline.explain import run_explain_maps
from secam.pipeline.snakemake_io import logged

with logged(snakemake):
    run_explain_maps(
        snakemake.wildcards.method,
        snakemake.wildcards.model,
        snakemake.params.config,
        snakemake.input.manifest,
        snakemake.wildcards.shard,
        snakemake.input.labels,
        snakemake.input.segments,
        snakemake.input.maps,
        snakemake.input.predictions,
        snakemake.output.explanations,
        snakemake.output.masks,
        snakemake.output.timings,
    )
