rule segment:
    input:
        manifest=LAYOUT.manifest,
    output:
        labels=LAYOUT.segment_labels,
        table=LAYOUT.segment_table,
    params:
        segmentation=config["segmentation"],
        device=config["device"],
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("segment"),
    benchmark:
        LAYOUT.benchmark("segment")
    resources:
        gpu=1 if config["segmentation"]["backend"] == "torch" else 0,
        mem_mb=4000,
        runtime=runtime("segment"),
    threads: 2  # worker processes; raise with --set-threads segment=N
    script:
        "../scripts/segment.py"
