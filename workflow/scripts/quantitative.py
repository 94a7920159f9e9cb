from secam.pipeline.report import run_quantitative

from script_io import logged

with logged(snakemake):
    run_quantitative(
        snakemake.input.metrics,
        snakemake.input.timings,
        snakemake.input.faithfulness,
        snakemake.input.baselines,
        snakemake.input.matched,
        snakemake.input.manifest,
        snakemake.params.files["predictions"],  # {(model, shard): path}, from the rule
        snakemake.params.config,
        {key: getattr(snakemake.output, key) for key in snakemake.params.tables},
        [snakemake.output.timing_png, snakemake.output.timing_pdf],
        [snakemake.output.curves_png, snakemake.output.curves_pdf],
        segmentation_path=snakemake.input.segmentation or None,
    )
