rule activate:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
    output:
        maps=f"{RESULTS}/activations/{{model}}/{{shard}}.npz",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
        map_timings=f"{RESULTS}/activations/{{model}}/{{shard}}.map_timings.parquet",
    params:
        config=config_sections("activate"),
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/activate/{{model}}/{{shard}}.log",
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=runtime(2.0),
    threads: 2
    script:
        "../scripts/activate.py"
