from secam.pipeline.report import run_examples

from script_io import logged

with logged(snakemake):
    run_examples(
        snakemake.input.manifest,
        # {(model, method, shard): path}, {(model, shard): path} and {(shard,): path}
        snakemake.params.files["explanations"],
        snakemake.params.files["masks"],
        snakemake.params.files["predictions"],
        snakemake.params.files["segments"],
        snakemake.params.config,
        [snakemake.output.png, snakemake.output.pdf],
    )
