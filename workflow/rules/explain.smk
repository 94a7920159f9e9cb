rule explain_maps:
    # SeCAM (over any map) and the heatmap methods: cached maps + superpixels, no model needed.
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        labels=f"{RESULTS}/segments/{{shard}}.npz",
        segments=f"{RESULTS}/segments/{{shard}}.parquet",
        maps=f"{RESULTS}/activations/{{model}}/{{shard}}.npz",
        map_timings=f"{RESULTS}/activations/{{model}}/{{shard}}.map_timings.parquet",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
    output:
        explanations=f"{RESULTS}/explanations/{{model}}/{{method}}/{{shard}}.parquet",
        masks=f"{RESULTS}/explanations/{{model}}/{{method}}/{{shard}}.npz",
        timings=f"{RESULTS}/timings/{{model}}/{{method}}/{{shard}}.parquet",
    wildcard_constraints:
        method=MAP_METHOD_PATTERN,
    params:
        config=config_sections("explain_maps"),
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/explain/{{model}}/{{method}}/{{shard}}.log",
    resources:
        mem_mb=4000,
        runtime=runtime(0.2),
    threads: 1
    script:
        "../scripts/explain_maps.py"


rule explain_lime:
    # LIME (the package, or lime-batched) runs the model on num_samples perturbed copies.
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        labels=f"{RESULTS}/segments/{{shard}}.npz",
        segments=f"{RESULTS}/segments/{{shard}}.parquet",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
    output:
        explanations=f"{RESULTS}/explanations/{{model}}/{{method}}/{{shard}}.parquet",
        masks=f"{RESULTS}/explanations/{{model}}/{{method}}/{{shard}}.npz",
        timings=f"{RESULTS}/timings/{{model}}/{{method}}/{{shard}}.parquet",
    wildcard_constraints:
        method=LIME_METHOD_PATTERN,
    params:
        config=config_sections("explain_lime"),
        lime_limit=None,
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/explain/{{model}}/{{method}}/{{shard}}.log",
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=runtime(lime_seconds_per_image),
    threads: 2
    script:
        "../scripts/explain_lime.py"
