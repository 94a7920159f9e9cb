from secam.pipeline.segment import run_segment

from script_io import logged

with logged(snakemake):
    run_segment(
        snakemake.input.manifest,
        snakemake.wildcards.shard,
        snakemake.params.segmentation,
        snakemake.output.labels,
        snakemake.output.table,
        # The segmentation comparison's jobs name their algorithm; the main run's take config's.
        algorithm=snakemake.wildcards.get("algorithm"),
        workers=snakemake.threads,
        device=snakemake.params.device,
    )
