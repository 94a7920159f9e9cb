# The model-parameter randomisation test (Adebayo et al. 2018): every method of the run again
# with the model's head, then each block below it, randomised (src/secam/randomisation.py).


rule sanity:
    # One job per model x shard: the layers are randomised once per depth for every method.
    input:
        manifest=LAYOUT.manifest,
        labels=LAYOUT.segment_labels,
        segments=LAYOUT.segment_table,
        predictions=LAYOUT.predictions,
    output:
        table=LAYOUT.sanity,
        heatmaps=LAYOUT.sanity_heatmaps,
    params:
        # every method (LIME too), unlike config_sections("activate")
        config={
            "methods": METHODS,
            **{
                key: config[key]
                for key in ("sanity", "lime", "selection", "activation", "score_cam")
            },
            **{key: config[key] for key in MODEL_SECTIONS},
        },
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("sanity"),
    benchmark:
        LAYOUT.benchmark("sanity")
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=runtime("sanity"),
    threads: 2
    script:
        "../scripts/sanity.py"


sanity_files = per_shard_files(
    tables=(LAYOUT.sanity, PER_MODEL),
    heatmaps=(LAYOUT.sanity_heatmaps, PER_MODEL),
)
SANITY_TABLES = {fmt: LAYOUT.table("sanity", fmt) for fmt in ("csv", "md")}


rule sanity_report:
    input:
        manifest=LAYOUT.manifest,
        tables=paths_of(sanity_files, "tables"),
        heatmaps=paths_of(sanity_files, "heatmaps"),
    output:
        csv=report(SANITY_TABLES["csv"], caption="../report/sanity.rst", category="Tables"),
        md=SANITY_TABLES["md"],
        png=report(
            LAYOUT.figure("sanity", "png"),
            caption="../report/sanity_figure.rst",
            category="Figures",
        ),
        pdf=LAYOUT.figure("sanity", "pdf"),
    params:
        config=config,
        files=sanity_files,
        tables=SANITY_TABLES,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("sanity_report"),
    benchmark:
        LAYOUT.benchmark("sanity_report")
    threads: 1
    script:
        "../scripts/sanity_report.py"
