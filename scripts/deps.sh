#!/usr/bin/env bash
# Installs what tfc needs to build and test, from Debian's packages, when missing.
# Runs as root (or through sudo when available). Safe to run again.
set -euo pipefail
packages=(
  build-essential pkg-config meson ninja-build
  libopenblas-dev zlib1g-dev libcunit1-dev
  libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libjansson-dev libsqlite3-dev
  abigail-tools clang libclang-rt-14-dev
  python3 python3-pytest python3-numpy
  dataset-fashion-mnist
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
