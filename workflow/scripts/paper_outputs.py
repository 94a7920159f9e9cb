from secam.pipeline.report import run_paper_outputs
from secam.pipeline.snakemake_io import logged

with logged(snakemake):
    output = snakemake.output
    run_paper_outputs(
        snakemake.input.manifest,
        snakemake.input.timings,
        {
            key: list(getattr(snakemake.input, key))
            for key in ("segments", "maps", "predictions", "masks")
        },
        snakemake.params.config,
        {fmt: getattr(output, f"table1_{fmt}") for fmt in ("csv", "md", "tex")},
        {n: [getattr(output, f"figure{n}_{ext}") for ext in ("png", "pdf")] for n in range(1, 6)},
        {n: [getattr(output, f"table{n}_{ext}") for ext in ("png", "pdf")] for n in (2, 3)},
    )
