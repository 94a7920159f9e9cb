checkpoint stage:
    input:
        annotations=config["dataset"]["annotations"],
        images=config["dataset"]["images"],
    output:
        manifest=f"{RESULTS}/manifest.parquet",
        rejected=f"{RESULTS}/rejected.parquet",
    params:
        dataset=config["dataset"],
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/stage.log",
    threads: 1
    script:
        "../scripts/stage.py"
