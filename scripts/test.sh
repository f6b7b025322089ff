#!/bin/sh
# Install what is missing, build with warnings as errors, run every test.
# Extra arguments go to ctest (e.g. -L unit, -R rsync).
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh --test
scripts/build.sh -DDEPLOYFS_WERROR=ON -DDEPLOYFS_TESTS=ON
cd build
ctest --output-on-failure --timeout 600 "$@"
# Fuzz each harness for a bounded time (DEPLOYFS_FUZZ_SECONDS=0 skips).
[ "${DEPLOYFS_FUZZ_SECONDS:-30}" = 0 ] || ../scripts/fuzz.sh
