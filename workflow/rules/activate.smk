rule activate:
    input:
        manifest=LAYOUT.manifest,
    output:
        maps=LAYOUT.activation_maps,
        predictions=LAYOUT.predictions,
        map_timings=LAYOUT.map_timings,
    params:
        config=config_sections("activate"),
    conda:
        "../../environment.yml"
    log:
        LAYOUT.log("activate"),
    benchmark:
        LAYOUT.benchmark("activate")
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=runtime("activate"),
    threads: 2
    script:
        "../scripts/activate.py"
