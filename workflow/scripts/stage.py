from secam.pipeline.snakemake_io import logged
from secam.pipeline.stage import run_stage

with logged(snakemake):
    run_stage(snakemake.params.dataset, snakemake.output.manifest, snakemake.output.rejected)
