from secam.pipeline.report import run_examples
from secam.pipeline.snakemake_io import logged

with logged(snakemake):
    run_examples(
        snakemake.input.manifest,
        snakemake.input.explanations,
        snakemake.input.masks,
        snakemake.input.predictions,
        snakemake.params.config,
        snakemake.output[0],
    )
