# Segmentation comparison (paper section V.D): the superpixel methods of
# segmentation.compare_methods rerun on the superpixels of every algorithm in
# segmentation.compare, with the main run's rules and scripts; only the segment paths differ:
# each compared algorithm's files lie under LAYOUT.comparison_root, laid out as the main run's.


wildcard_constraints:
    algorithm="|".join(SEGMENTATION_ALGORITHMS),


use rule segment as segment_compared with:
    output:
        labels=LAYOUT.compared("segment_labels"),
        table=LAYOUT.compared("segment_table"),
    log:
        LAYOUT.log("segment_compared"),
    benchmark:
        LAYOUT.benchmark("segment_compared")


use rule explain_maps as explain_maps_compared with:
    input:
        manifest=LAYOUT.manifest,
        labels=LAYOUT.compared("segment_labels"),
        segments=LAYOUT.compared("segment_table"),
        maps=LAYOUT.activation_maps,
        map_timings=LAYOUT.map_timings,
        predictions=LAYOUT.predictions,
    output:
        explanations=LAYOUT.compared("explanation_table"),
        masks=LAYOUT.compared("explanation_masks"),
        timings=LAYOUT.compared("timings"),
    params:
        config=without_sufficient(config_sections("explain_maps")),
    log:
        LAYOUT.log("explain_compared"),
    benchmark:
        LAYOUT.benchmark("explain_compared")
    resources:
        mem_mb=4000,
        runtime=runtime("explain_maps_compared"),
    threads: 1


use rule explain_lime as explain_lime_compared with:
    input:
        manifest=LAYOUT.manifest,
        labels=LAYOUT.compared("segment_labels"),
        segments=LAYOUT.compared("segment_table"),
        predictions=LAYOUT.predictions,
    output:
        explanations=LAYOUT.compared("explanation_table"),
        masks=LAYOUT.compared("explanation_masks"),
        timings=LAYOUT.compared("timings"),
    params:
        config=without_sufficient(config_sections("explain_lime")),
        lime_limit=config["segmentation"]["compare_lime_images"],
    log:
        LAYOUT.log("explain_compared"),
    benchmark:
        LAYOUT.benchmark("explain_compared")


use rule evaluate as evaluate_compared with:
    input:
        manifest=LAYOUT.manifest,
        predictions=LAYOUT.predictions,
        explanations=LAYOUT.compared("explanation_table"),
        masks=LAYOUT.compared("explanation_masks"),
        labels=LAYOUT.compared("segment_labels"),
        maps=LAYOUT.activation_maps,
    output:
        metrics=LAYOUT.compared("metrics"),
    log:
        LAYOUT.log("evaluate_compared"),
    benchmark:
        LAYOUT.benchmark("evaluate_compared")


rule segmentation_comparison:
    input:
        manifest=LAYOUT.manifest,
        metrics=paths_of(comparison_files, "metrics"),
        masks=paths_of(comparison_files, "masks"),
        labels=paths_of(comparison_files, "labels"),
        segments=paths_of(comparison_files, "segments"),
    output:
        csv=report(
            LAYOUT.table("segmentation", "csv"),
            caption="../report/segmentation.rst",
            category="Tables",
        ),
        md=LAYOUT.table("segmentation", "md"),
        tex=LAYOUT.table("segmentation", "tex"),
        png=report(
            LAYOUT.figure("segmentation", "png"),
            caption="../report/segmentation_figure.rst",
            category="Figures",
        ),
        pdf=LAYOUT.figure("segmentation", "pdf"),
    params:
        config=config,
        # (algorithm, model, method, shard) or (algorithm, shard) -> path, per kind of input
        files=comparison_files,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("segmentation_comparison"),
    benchmark:
        LAYOUT.benchmark("segmentation_comparison")
    threads: 1
    script:
        "../scripts/segmentation_comparison.py"
