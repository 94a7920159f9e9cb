#!/usr/bin/env bash
# Run by Snakemake (--use-conda) inside the new environment, from the directory snakemake was
# started in: installs this checkout's secam library without touching the conda packages.
# Set SECAM_SOURCE to the repository root when snakemake is started elsewhere.
set -euo pipefail
python -m pip install --no-deps --no-build-isolation -e "${SECAM_SOURCE:-$PWD}"
