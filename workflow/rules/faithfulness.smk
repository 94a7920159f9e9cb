rule faithfulness:
    # Deletion and insertion curves: the model scores blurred and restored superpixels.
    input:
        manifest=LAYOUT.manifest,
        labels=LAYOUT.segment_labels,
        segments=LAYOUT.segment_table,
        predictions=LAYOUT.predictions,
        maps=LAYOUT.activation_maps,
        explanations=LAYOUT.explanation_table,
        masks=LAYOUT.explanation_masks,
    output:
        LAYOUT.faithfulness,
    params:
        config=config_sections("faithfulness"),
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("faithfulness"),
    benchmark:
        LAYOUT.benchmark("faithfulness")
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=runtime("faithfulness"),
    threads: 2
    script:
        "../scripts/faithfulness.py"
