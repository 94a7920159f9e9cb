from secam.pipeline.activate import run_activate

from script_io import logged

with logged(snakemake):
    run_activate(
        snakemake.input.manifest,
        snakemake.wildcards.shard,
        snakemake.wildcards.model,
        snakemake.params.config,
        snakemake.output.maps,
        snakemake.output.predictions,
        snakemake.output.map_timings,
        threads=snakemake.threads,
    )
