from secam.pipeline.report import run_segmentation_comparison

from script_io import logged

with logged(snakemake):
    run_segmentation_comparison(
        snakemake.input.manifest,
        snakemake.params.files,  # kind -> {(algorithm, ..., shard): path}, from the rule
        snakemake.params.config,
        {fmt: getattr(snakemake.output, fmt) for fmt in ("csv", "md", "tex")},
        [snakemake.output.png, snakemake.output.pdf],
    )
