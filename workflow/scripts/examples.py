from secam.pipeline.report import run_examples

from script_io import logged

with logged(snakemake):
    run_examples(
        snakemake.input.manifest,
        # {(model, method, shard): path} and {(model, shard): path}, from the rule
        snakemake.params.files["explanations"],
        snakemake.params.files["masks"],
        snakemake.params.files["predictions"],
        snakemake.params.config,
        [snakemake.output.png, snakemake.output.pdf],
    )
