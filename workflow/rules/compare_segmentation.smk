# Segmentation comparison (paper section V.D): the superpixel methods of
# segmentation.compare_methods rerun on the superpixels of every algorithm in
# segmentation.compare, with the main run's rules and scripts; only the segment paths differ.
COMPARED = f"{RESULTS}/segcompare/{{algorithm}}"


wildcard_constraints:
    algorithm="|".join(SEGMENTATION_ALGORITHMS),


use rule segment as segment_compared with:
    output:
        labels=f"{COMPARED}/segments/{{shard}}.npz",
        table=f"{COMPARED}/segments/{{shard}}.parquet",
    log:
        f"{RESULTS}/logs/segcompare/{{algorithm}}/segment/{{shard}}.log",


use rule explain_maps as explain_maps_compared with:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        labels=f"{COMPARED}/segments/{{shard}}.npz",
        segments=f"{COMPARED}/segments/{{shard}}.parquet",
        maps=f"{RESULTS}/activations/{{model}}/{{shard}}.npz",
        map_timings=f"{RESULTS}/activations/{{model}}/{{shard}}.map_timings.parquet",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
    output:
        explanations=f"{COMPARED}/explanations/{{model}}/{{method}}/{{shard}}.parquet",
        masks=f"{COMPARED}/explanations/{{model}}/{{method}}/{{shard}}.npz",
        timings=f"{COMPARED}/timings/{{model}}/{{method}}/{{shard}}.parquet",
    log:
        f"{RESULTS}/logs/segcompare/{{algorithm}}/explain/{{model}}/{{method}}/{{shard}}.log",


use rule explain_lime as explain_lime_compared with:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        labels=f"{COMPARED}/segments/{{shard}}.npz",
        segments=f"{COMPARED}/segments/{{shard}}.parquet",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
    output:
        explanations=f"{COMPARED}/explanations/{{model}}/{{method}}/{{shard}}.parquet",
        masks=f"{COMPARED}/explanations/{{model}}/{{method}}/{{shard}}.npz",
        timings=f"{COMPARED}/timings/{{model}}/{{method}}/{{shard}}.parquet",
    params:
        config=config_sections("explain_lime"),
        lime_limit=config["segmentation"]["compare_lime_images"],
    log:
        f"{RESULTS}/logs/segcompare/{{algorithm}}/explain/{{model}}/{{method}}/{{shard}}.log",


use rule evaluate as evaluate_compared with:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        predictions=f"{RESULTS}/activations/{{model}}/{{shard}}.parquet",
        explanations=f"{COMPARED}/explanations/{{model}}/{{method}}/{{shard}}.parquet",
        masks=f"{COMPARED}/explanations/{{model}}/{{method}}/{{shard}}.npz",
    output:
        metrics=f"{COMPARED}/metrics/{{model}}/{{method}}/{{shard}}.parquet",
    log:
        f"{RESULTS}/logs/segcompare/{{algorithm}}/evaluate/{{model}}/{{method}}/{{shard}}.log",


SEGMENTATION_TABLE = {fmt: f"{RESULTS}/tables/segmentation.{fmt}" for fmt in ("csv", "md", "tex")}


rule segmentation_comparison:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        main_metrics=comparison_files("main", "metrics"),
        main_masks=comparison_files("main", "masks"),
        main_labels=comparison_files("main", "labels"),
        main_segments=comparison_files("main", "segments"),
        compared_metrics=comparison_files("compared", "metrics"),
        compared_masks=comparison_files("compared", "masks"),
        compared_labels=comparison_files("compared", "labels"),
        compared_segments=comparison_files("compared", "segments"),
    output:
        csv=report(
            SEGMENTATION_TABLE["csv"], caption="../report/segmentation.rst", category="Tables"
        ),
        md=SEGMENTATION_TABLE["md"],
        tex=SEGMENTATION_TABLE["tex"],
        png=report(
            f"{RESULTS}/figures/segmentation.png",
            caption="../report/segmentation_figure.rst",
            category="Figures",
        ),
        pdf=f"{RESULTS}/figures/segmentation.pdf",
    params:
        config=config,
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/segmentation_comparison.log",
    threads: 1
    script:
        "../scripts/segmentation_comparison.py"
