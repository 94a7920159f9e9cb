rule collect:
    input:
        metrics=all_metrics,
        timings=all_timings,
    output:
        metrics=f"{RESULTS}/metrics.parquet",
        timings=f"{RESULTS}/timings.parquet",
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/collect.log",
    script:
        "../scripts/collect.py"


rule summary:
    input:
        metrics=f"{RESULTS}/metrics.parquet",
    output:
        csv=report(
            f"{RESULTS}/tables/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
        ),
        md=f"{RESULTS}/tables/summary.md",
        info=f"{RESULTS}/run_info.json",
    params:
        config=config,
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/summary.log",
    script:
        "../scripts/summary.py"


rule examples:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        explanations=all_explanations("table"),
        masks=all_explanations("masks"),
        predictions=all_predictions,
    output:
        report(
            f"{RESULTS}/figures/examples.png",
            caption="../report/examples.rst",
            category="Figures",
        ),
    params:
        config=config,
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/examples.log",
    script:
        "../scripts/examples.py"


QUANTITATIVE_TABLES = {
    f"{name}_{fmt}": f"{RESULTS}/tables/{name}.{fmt}"
    for name in ("quantitative", "paired", "timing")
    for fmt in ("csv", "md", "tex")
}


rule quantitative:
    input:
        metrics=f"{RESULTS}/metrics.parquet",
        timings=f"{RESULTS}/timings.parquet",
    output:
        **{
            key: (
                report(path, caption=f"../report/{key[:-4]}.rst", category="Tables")
                if key.endswith("_csv")
                else path
            )
            for key, path in QUANTITATIVE_TABLES.items()
        },
        timing_png=report(
            f"{RESULTS}/figures/timing.png",
            caption="../report/timing_plot.rst",
            category="Figures",
        ),
        timing_pdf=f"{RESULTS}/figures/timing.pdf",
    params:
        config=config,
        tables=QUANTITATIVE_TABLES,
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/quantitative.log",
    script:
        "../scripts/quantitative.py"
