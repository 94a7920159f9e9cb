rule evaluate:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
        explanations=f"{RESULTS}/explanations/{{model}}/{{method}}/{{shard}}.parquet",
        masks=f"{RESULTS}/explanations/{{model}}/{{method}}/{{shard}}.npz",
    output:
        metrics=f"{RESULTS}/metrics/{{model}}/{{method}}/{{shard}}.parquet",
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/evaluate/{{model}}/{{method}}/{{shard}}.log",
    resources:
        mem_mb=2000,
        runtime=runtime(0.1),
    threads: 1
    script:
        "../scripts/evaluate.py"
