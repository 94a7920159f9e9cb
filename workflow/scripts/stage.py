from secam.pipeline.stage import run_stage

from script_io import logged

with logged(snakemake):
    run_stage(snakemake.params.dataset, snakemake.output.manifest, snakemake.output.rejected)
