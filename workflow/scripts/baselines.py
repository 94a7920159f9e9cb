from secam.pipeline.baselines import run_baselines

from script_io import logged, shard_inputs

with logged(snakemake):
    run_baselines(
        snakemake.wildcards.model,
        snakemake.params.config,
        shard_inputs(snakemake),
        snakemake.input.maps,
        dict(zip(snakemake.params.methods, snakemake.input.explanations, strict=True)),
        snakemake.output.baselines,
        snakemake.output.matched,
        threads=snakemake.threads,
    )
