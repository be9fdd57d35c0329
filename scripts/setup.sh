#!/usr/bin/env bash
# Quick start: installs what is missing, builds tfc, and runs the main job:
# a canned DNNClassifier on Debian's Fashion-MNIST with the estimator API
# (train, evaluate, export, and predictions through the exported model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
./build/examples/fashion_mnist_estimator
