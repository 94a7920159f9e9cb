rule evaluate:
    input:
        manifest=LAYOUT.manifest,
        predictions=LAYOUT.predictions,
        explanations=LAYOUT.explanation_table,
        masks=LAYOUT.explanation_masks,
        # for the heatmap metrics: the superpixels (SeCAM, LIME), the maps (pixel methods)
        labels=LAYOUT.segment_labels,
        maps=LAYOUT.activation_maps,
    output:
        metrics=LAYOUT.metrics,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("evaluate"),
    benchmark:
        LAYOUT.benchmark("evaluate")
    resources:
        mem_mb=2000,
        runtime=runtime("evaluate"),
    threads: 1
    script:
        "../scripts/evaluate.py"


rule baselines:
    # Sanity baselines, and every explanation redrawn at the area of every other (issue #8).
    input:
        manifest=LAYOUT.manifest,
        labels=LAYOUT.segment_labels,
        segments=LAYOUT.segment_table,
        predictions=LAYOUT.predictions,
        maps=LAYOUT.activation_maps,
        explanations=expand(LAYOUT.explanation_table, method=METHODS, allow_missing=True),
    output:
        baselines=LAYOUT.baselines,
        matched=LAYOUT.matched,
    params:
        config=config_sections("baselines"),
        methods=METHODS,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("baselines"),
    benchmark:
        LAYOUT.benchmark("baselines")
    resources:
        mem_mb=2000,
        runtime=runtime("baselines"),
    threads: selection_threads
    script:
        "../scripts/baselines.py"
