rule segment:
    input:
        manifest=LAYOUT.manifest,
    output:
        labels=LAYOUT.segment_labels,
        table=LAYOUT.segment_table,
    params:
        segmentation=config["segmentation"],
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("segment"),
    resources:
        mem_mb=4000,
        runtime=runtime(0.5),
    threads: 2  # worker processes; raise with --set-threads segment=N
    script:
        "../scripts/segment.py"
