from secam.pipeline.report import run_collect
from secam.pipeline.snakemake_io import logged

with logged(snakemake):
    run_collect(
        snakemake.input.metrics,
        snakemake.input.timings,
        snakemake.input.faithfulness,
        snakemake.output.metrics,
        snakemake.output.timings,
        snakemake.output.faithfulness,
    )
