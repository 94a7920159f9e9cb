rule explain_maps:
    # SeCAM (over any map) and the heatmap methods: cached maps + superpixels; the model runs
    # only for SeCAM's sufficient:P selections.
    input:
        manifest=LAYOUT.manifest,
        labels=LAYOUT.segment_labels,
        segments=LAYOUT.segment_table,
        maps=LAYOUT.activation_maps,
        map_timings=LAYOUT.map_timings,
        predictions=LAYOUT.predictions,
    output:
        explanations=LAYOUT.explanation_table,
        masks=LAYOUT.explanation_masks,
        timings=LAYOUT.timings,
    wildcard_constraints:
        method=MAP_METHOD_PATTERN,
    params:
        config=config_sections("explain_maps"),
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("explain"),
    benchmark:
        LAYOUT.benchmark("explain")
    resources:
        mem_mb=4000,
        runtime=runtime("explain_maps"),
    threads: selection_threads
    script:
        "../scripts/explain_maps.py"


rule explain_lime:
    # LIME (the package, or lime-batched) runs the model on num_samples perturbed copies.
    input:
        manifest=LAYOUT.manifest,
        labels=LAYOUT.segment_labels,
        segments=LAYOUT.segment_table,
        predictions=LAYOUT.predictions,
    output:
        explanations=LAYOUT.explanation_table,
        masks=LAYOUT.explanation_masks,
        timings=LAYOUT.timings,
    wildcard_constraints:
        method=LIME_METHOD_PATTERN,
    params:
        config=config_sections("explain_lime"),
        lime_limit=None,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("explain"),
    benchmark:
        LAYOUT.benchmark("explain")
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=runtime("explain_lime"),
    threads: 2
    script:
        "../scripts/explain_lime.py"
