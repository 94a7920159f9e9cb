rule segment:
    input:
        manifest=f"{RESULTS}/manifest.parquet",
    output:
        labels=f"{RESULTS}/segments/{{shard}}.npz",
        table=f"{RESULTS}/segments/{{shard}}.parquet",
    params:
        segmentation=config["segmentation"],
    conda:
        "../../environment.yml"
    log:
        f"{RESULTS}/logs/segment/{{shard}}.log",
    resources:
        mem_mb=4000,
        runtime=runtime(0.5),
    threads: 2  # worker processes; raise with --set-threads segment=N
    script:
        "../scripts/segment.py"
