from secam.pipeline.sanity import run_sanity

from script_io import job_label, logged, shard_inputs

with logged(snakemake):
    run_sanity(
        snakemake.wildcards.model,
        snakemake.params.config,
        shard_inputs(snakemake),
        snakemake.output.table,
        snakemake.output.heatmaps,
        threads=snakemake.threads,
        label=job_label(snakemake),
    )
