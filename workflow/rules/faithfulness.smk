rule faithfulness:
    # Deletion and insertion curves: the model scores blurred and restored superpixels.
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        labels=f"{RESULTS}/segments/{{shard}}.npz",
        segments=f"{RESULTS}/segments/{{shard}}.parquet",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
        maps=f"{RESULTS}/activations/{{model}}/{{shard}}.npz",
        explanations=f"{RESULTS}/explanations/{{model}}/{{method}}/{{shard}}.parquet",
    output:
        f"{RESULTS}/faithfulness/{{model}}/{{method}}/{{shard}}.parquet",
    params:
        config=config_sections("faithfulness"),
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/faithfulness/{{model}}/{{method}}/{{shard}}.log",
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=runtime(2.0),
    threads: 2
    script:
        "../scripts/faithfulness.py"
