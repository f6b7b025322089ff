#!/bin/sh
# Configure and build into ./build. Extra arguments go to cmake.
set -e
cd "$(dirname "$0")/.."
cmake -S . -B build "$@" >/dev/null
cmake --build build -j "$(nproc)"
