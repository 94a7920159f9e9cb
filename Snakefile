# secam-pipeline: SeCAM vs LIME, CAM and Grad-CAM, from staging to the report.
# Stages: stage -> segment || activate -> explain -> evaluate -> collect -> tables / figures.
# All logic lives in the `secam` package; rules and scripts only wire files to it.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/stage.smk"
include: "workflow/rules/segment.smk"
include: "workflow/rules/activate.smk"
include: "workflow/rules/explain.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/faithfulness.smk"
include: "workflow/rules/sanity.smk"
include: "workflow/rules/compare_segmentation.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        summary_outputs(),
        cached_artifacts,
