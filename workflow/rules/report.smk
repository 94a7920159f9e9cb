rule collect:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        predictions=all_predictions,
        metrics=all_metrics,
        timings=all_timings,
        faithfulness=all_faithfulness,
        baselines=all_baselines,
        matched=all_matched,
    output:
        metrics=f"{RESULTS}/metrics.parquet",
        timings=f"{RESULTS}/timings.parquet",
        faithfulness=f"{RESULTS}/faithfulness.parquet",
        baselines=f"{RESULTS}/baselines.parquet",
        matched=f"{RESULTS}/matched.parquet",
    params:
        # what the completeness check needs to know which explanations the run must hold
        models=MODELS,
        methods=METHODS,
        lime_sample={key: config["lime"][key] for key in ("max_images", "seed")},
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/collect.log",
    threads: 1
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
    threads: 1
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
    threads: 1
    script:
        "../scripts/examples.py"


QUANTITATIVE_TABLES = {
    f"{name}_{fmt}": f"{RESULTS}/tables/{name}.{fmt}"
    for name in ("quantitative", "paired", "matched_area", "timing", "faithfulness", "claims")
    for fmt in ("csv", "md", "tex")
}


rule quantitative:
    input:
        metrics=f"{RESULTS}/metrics.parquet",
        timings=f"{RESULTS}/timings.parquet",
        faithfulness=f"{RESULTS}/faithfulness.parquet",
        baselines=f"{RESULTS}/baselines.parquet",
        matched=f"{RESULTS}/matched.parquet",
        manifest=f"{RESULTS}/manifest.parquet",
        predictions=all_predictions,
        segmentation=SEGMENTATION_TABLE["csv"] if COMPARED_ALGORITHMS else [],
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
        curves_png=report(
            f"{RESULTS}/figures/faithfulness.png",
            caption="../report/faithfulness_plot.rst",
            category="Figures",
        ),
        curves_pdf=f"{RESULTS}/figures/faithfulness.pdf",
    params:
        config=config,
        tables=QUANTITATIVE_TABLES,
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/quantitative.log",
    threads: 1
    script:
        "../scripts/quantitative.py"


PAPER_FIGURES = {n: [f"{RESULTS}/figures/figure{n}.{ext}" for ext in ("png", "pdf")] for n in range(1, 6)}
# Tables II and III of the paper are image grids, so they are drawn like figures.
PAPER_GRIDS = {n: [f"{RESULTS}/figures/table{n}.{ext}" for ext in ("png", "pdf")] for n in (2, 3)}
TABLE_ONE = {fmt: f"{RESULTS}/tables/table1.{fmt}" for fmt in ("csv", "md", "tex")}


rule paper_outputs:
    # Table I and Figures 1-5 of the paper, from the finished run's artifacts.
    input:
        manifest=f"{RESULTS}/manifest.parquet",
        timings=f"{RESULTS}/timings.parquet",
        masks=all_explanations("masks"),
        predictions=all_predictions,
        maps=all_maps,
        segments=all_segments,
    output:
        table1_csv=report(
            TABLE_ONE["csv"], caption="../report/table1.rst", category="Paper"
        ),
        table1_md=TABLE_ONE["md"],
        table1_tex=TABLE_ONE["tex"],
        **{
            f"figure{n}_{ext}": (
                report(path, caption=f"../report/figure{n}.rst", category="Paper")
                if ext == "png"
                else path
            )
            for n, paths in PAPER_FIGURES.items()
            for ext, path in zip(("png", "pdf"), paths)
        },
        **{
            f"table{n}_{ext}": (
                report(path, caption=f"../report/table{n}.rst", category="Paper")
                if ext == "png"
                else path
            )
            for n, paths in PAPER_GRIDS.items()
            for ext, path in zip(("png", "pdf"), paths)
        },
    params:
        config=config,
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/paper_outputs.log",
    threads: 1
    script:
        "../scripts/paper_outputs.py"
