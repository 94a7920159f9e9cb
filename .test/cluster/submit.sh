#!/usr/bin/env bash
# A local stand-in for a cluster's submit command (snakemake-executor-plugin-cluster-generic):
# each job script runs as its own detached process; the "job id" printed is its process id.
set -euo pipefail
jobscript="$1"
nohup bash "$jobscript" > "$jobscript.out" 2>&1 < /dev/null &
echo $!
