from secam.pipeline.report import run_collect
from secam.pipeline.snakemake_io import logged

with logged(snakemake):
    run_collect(
        {
            name: (getattr(snakemake.input, name), getattr(snakemake.output, name))
            for name in ("metrics", "timings", "faithfulness", "baselines", "matched")
        },
        snakemake.input.manifest,
        snakemake.input.predictions,
        snakemake.params.models,
        snakemake.params.methods,
        snakemake.params.lime_sample,
    )
