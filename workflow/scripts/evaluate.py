from secam.pipeline.evaluate import run_evaluate

from script_io import logged

with logged(snakemake):
    run_evaluate(
        snakemake.input.manifest,
        snakemake.wildcards.shard,
        snakemake.input.predictions,
        snakemake.input.explanations,
        snakemake.input.masks,
        snakemake.input.labels,
        snakemake.input.maps,
        snakemake.output.metrics,
    )
