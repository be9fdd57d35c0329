#!/usr/bin/env bash
# Quick start: installs what is missing, builds tfc, and runs the main job
# (for now: TensorFlow's classic MNIST softmax script, in C, on Debian's
# Fashion-MNIST, averaged over three seeds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
./build/examples/mnist_softmax --steps 1000 --seeds 0,1,2
