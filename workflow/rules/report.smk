# The shard files each report rule reads, by kind: {(model[, method], shard): path} (see
# per_shard_files in common.smk); the rule lists their paths as inputs, passes the mappings.
# A stage switched off (config "stages") contributes no shard files; collect writes its merged
# tables empty and the report says they were not measured.
collected_files = per_shard_files(
    predictions=(LAYOUT.predictions, PER_MODEL),
    metrics=(LAYOUT.metrics, PER_EXPLANATION),
    timings=(LAYOUT.timings, PER_EXPLANATION),
    **({"faithfulness": (LAYOUT.faithfulness, PER_EXPLANATION)} if STAGES["faithfulness"] else {}),
    **(
        {"baselines": (LAYOUT.baselines, PER_MODEL), "matched": (LAYOUT.matched, PER_MODEL)}
        if STAGES["baselines"]
        else {}
    ),
)
NOT_COLLECTED = [
    *([] if STAGES["faithfulness"] else ["faithfulness"]),
    *([] if STAGES["baselines"] else ["baselines", "matched"]),
]


rule collect:
    input:
        **{name: paths_of(collected_files, name) for name in MERGED if name not in NOT_COLLECTED},
        manifest=LAYOUT.manifest,
        predictions=paths_of(collected_files, "predictions"),
    output:
        **{name: LAYOUT.merged(name) for name in MERGED},
    params:
        files=collected_files,
        # what the completeness check needs to know which explanations the run must hold
        models=MODELS,
        methods=METHODS,
        lime_sample={key: config["lime"][key] for key in ("max_images", "seed")},
        not_collected=NOT_COLLECTED,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("collect"),
    benchmark:
        LAYOUT.benchmark("collect")
    threads: 1
    script:
        "../scripts/collect.py"


rule summary:
    input:
        metrics=LAYOUT.merged("metrics"),
    output:
        csv=report(
            LAYOUT.table("summary", "csv"),
            caption="../report/summary.rst",
            category="Tables",
        ),
        md=LAYOUT.table("summary", "md"),
        info=LAYOUT.run_info,
    params:
        config=config,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("summary"),
    benchmark:
        LAYOUT.benchmark("summary")
    threads: 1
    script:
        "../scripts/summary.py"


example_files = per_shard_files(
    explanations=(LAYOUT.explanation_table, PER_EXPLANATION),
    masks=(LAYOUT.explanation_masks, PER_EXPLANATION),
    predictions=(LAYOUT.predictions, PER_MODEL),
    segments=(LAYOUT.segment_table, {}),  # SeCAM and LIME are charged their segmentation
)


rule examples:
    input:
        manifest=LAYOUT.manifest,
        explanations=paths_of(example_files, "explanations"),
        masks=paths_of(example_files, "masks"),
        predictions=paths_of(example_files, "predictions"),
        segments=paths_of(example_files, "segments"),
    output:
        png=report(
            LAYOUT.figure("examples", "png"),
            caption="../report/examples.rst",
            category="Figures",
        ),
        pdf=LAYOUT.figure("examples", "pdf"),
    params:
        config=config,
        files=example_files,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("examples"),
    benchmark:
        LAYOUT.benchmark("examples")
    threads: 1
    script:
        "../scripts/examples.py"


QUANTITATIVE_TABLES = {
    f"{name}_{fmt}": LAYOUT.table(name, fmt)
    for name in (
        "accuracy",
        "quantitative",
        "paired",
        "matched_area",
        "chosen_sizes",
        "chosen_vs_fixed",
        "timing",
        "faithfulness",
        "selection_faithfulness",
        "claims",
    )
    for fmt in ("csv", "md", "tex")
}
prediction_files = per_shard_files(predictions=(LAYOUT.predictions, PER_MODEL))


rule quantitative:
    input:
        **{name: LAYOUT.merged(name) for name in MERGED},
        manifest=LAYOUT.manifest,
        predictions=paths_of(prediction_files, "predictions"),
        segmentation=LAYOUT.table("segmentation", "csv") if COMPARED_ALGORITHMS else [],
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
            LAYOUT.figure("timing", "png"),
            caption="../report/timing_plot.rst",
            category="Figures",
        ),
        timing_pdf=LAYOUT.figure("timing", "pdf"),
        curves_png=report(
            LAYOUT.figure("faithfulness", "png"),
            caption="../report/faithfulness_plot.rst",
            category="Figures",
        ),
        curves_pdf=LAYOUT.figure("faithfulness", "pdf"),
    params:
        config=config,
        tables=QUANTITATIVE_TABLES,
        files=prediction_files,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("quantitative"),
    benchmark:
        LAYOUT.benchmark("quantitative")
    threads: 1
    script:
        "../scripts/quantitative.py"


PAPER_FIGURES = {
    n: [LAYOUT.figure(f"figure{n}", ext) for ext in ("png", "pdf")] for n in range(1, 6)
}
# Tables II and III of the paper are image grids, so they are drawn like figures.
PAPER_GRIDS = {n: [LAYOUT.figure(f"table{n}", ext) for ext in ("png", "pdf")] for n in (2, 3)}
TABLE_ONE = {fmt: LAYOUT.table("table1", fmt) for fmt in ("csv", "md", "tex")}
paper_files = per_shard_files(
    segments=(LAYOUT.segment_labels, {}),
    maps=(LAYOUT.activation_maps, PER_MODEL),
    predictions=(LAYOUT.predictions, PER_MODEL),
    masks=(LAYOUT.explanation_masks, PER_EXPLANATION),
)


rule paper_outputs:
    # Table I and Figures 1-5 of the paper, from the finished run's artifacts.
    input:
        manifest=LAYOUT.manifest,
        timings=LAYOUT.merged("timings"),
        masks=paths_of(paper_files, "masks"),
        predictions=paths_of(paper_files, "predictions"),
        maps=paths_of(paper_files, "maps"),
        segments=paths_of(paper_files, "segments"),
    output:
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
        table1_csv=report(TABLE_ONE["csv"], caption="../report/table1.rst", category="Paper"),
        table1_md=TABLE_ONE["md"],
        table1_tex=TABLE_ONE["tex"],
    params:
        config=config,
        files=paper_files,
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("paper_outputs"),
    benchmark:
        LAYOUT.benchmark("paper_outputs")
    threads: 1
    script:
        "../scripts/paper_outputs.py"
