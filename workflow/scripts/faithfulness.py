from secam.pipeline.faithfulness import run_faithfulness

from script_io import job_label, logged, shard_inputs

with logged(snakemake):
    run_faithfulness(
        snakemake.wildcards.method,
        snakemake.wildcards.model,
        snakemake.params.config,
        shard_inputs(snakemake),
        snakemake.input.maps,
        snakemake.input.explanations,
        snakemake.input.masks,
        snakemake.output[0],
        threads=snakemake.threads,
        label=job_label(snakemake),
    )
