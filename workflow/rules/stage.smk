checkpoint stage:
    input:
        annotations=config["dataset"]["annotations"],
        images=config["dataset"]["images"],
    output:
        manifest=LAYOUT.manifest,
        rejected=LAYOUT.rejected,
    params:
        dataset=config["dataset"],
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("stage"),
    benchmark:
        LAYOUT.benchmark("stage")
    threads: 1
    script:
        "../scripts/stage.py"
