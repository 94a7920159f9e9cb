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


rule baselines:
    # Sanity baselines, and every explanation redrawn at the area of every other (issue #8).
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        labels=f"{RESULTS}/segments/{{shard}}.npz",
        segments=f"{RESULTS}/segments/{{shard}}.parquet",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
        maps=f"{RESULTS}/activations/{{model}}/{{shard}}.npz",
        explanations=expand(
            f"{RESULTS}/explanations/{{{{model}}}}/{{method}}/{{{{shard}}}}.parquet",
            method=METHODS,
        ),
    output:
        baselines=f"{RESULTS}/baselines/{{model}}/{{shard}}.parquet",
        matched=f"{RESULTS}/matched/{{model}}/{{shard}}.parquet",
    params:
        config=config_sections("baselines"),
        methods=METHODS,
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/baselines/{{model}}/{{shard}}.log",
    resources:
        mem_mb=2000,
        runtime=runtime(0.5),
    threads: 1
    script:
        "../scripts/baselines.py"
