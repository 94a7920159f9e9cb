from secam.pipeline.report import run_paper_outputs

from script_io import logged

with logged(snakemake):
    output = snakemake.output
    run_paper_outputs(
        snakemake.input.manifest,
        snakemake.input.timings,
        snakemake.params.files,  # kind -> {(model[, method], shard): path}, from the rule
        snakemake.params.config,
        {fmt: getattr(output, f"table1_{fmt}") for fmt in ("csv", "md", "tex")},
        {n: [getattr(output, f"figure{n}_{ext}") for ext in ("png", "pdf")] for n in range(1, 6)},
        {n: [getattr(output, f"table{n}_{ext}") for ext in ("png", "pdf")] for n in (2, 3)},
    )
