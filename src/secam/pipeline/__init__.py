"""Workflow stages. Each ``run_*`` function is what one Snakemake rule calls; the rule's script
only unpacks ``snakemake.input``/``output``/``params`` and forwards them."""
