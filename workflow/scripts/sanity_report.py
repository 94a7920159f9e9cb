from secam.pipeline.sanity import run_sanity_report

from script_io import logged

with logged(snakemake):
    run_sanity_report(
        snakemake.params.files["tables"],  # {(model, shard): path}, from the rule
        snakemake.params.files["heatmaps"],
        snakemake.input.manifest,
        snakemake.params.config,
        snakemake.params.tables,
        [snakemake.output.png, snakemake.output.pdf],
    )
