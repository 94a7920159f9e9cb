from secam.pipeline.report import run_summary

from script_io import logged

with logged(snakemake):
    run_summary(
        snakemake.input.metrics,
        snakemake.params.config,
        snakemake.output.csv,
        snakemake.output.md,
        snakemake.output.info,
    )
