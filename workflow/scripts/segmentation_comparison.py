from secam.pipeline.report import run_segmentation_comparison
from secam.pipeline.snakemake_io import logged

KINDS = ("metrics", "masks", "labels", "segments")

with logged(snakemake):
    run_segmentation_comparison(
        snakemake.input.manifest,
        {kind: getattr(snakemake.input, f"main_{kind}") for kind in KINDS},
        {kind: getattr(snakemake.input, f"compared_{kind}") for kind in KINDS},
        snakemake.params.config,
        {fmt: getattr(snakemake.output, fmt) for fmt in ("csv", "md", "tex")},
        [snakemake.output.png, snakemake.output.pdf],
    )
