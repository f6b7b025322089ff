#!/bin/sh
# Install what is missing, check the formatting, build with warnings as
# errors, run every test;
# then build again with AddressSanitizer and UBSan into ./build-asan and
# run every test there too (errors and leaks fail a test: see
# tests/CMakeLists.txt). Extra arguments go to ctest (e.g. -L unit,
# -R rsync). DEPLOYFS_SANITIZE=0 skips the sanitizer run.
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh --test
# Every tracked C file formatted as .clang-format says, before anything.
scripts/format.sh --check
scripts/build.sh -DDEPLOYFS_WERROR=ON -DDEPLOYFS_TESTS=ON
(cd build && ctest --output-on-failure --timeout 600 "$@")
if [ "${DEPLOYFS_SANITIZE:-1}" != 0 ]; then
	echo "test: again under AddressSanitizer and UBSan (build-asan)"
	cmake -S . -B build-asan -DDEPLOYFS_WERROR=ON -DDEPLOYFS_TESTS=ON \
		-DDEPLOYFS_SANITIZE=ON >/dev/null
	cmake --build build-asan -j "$(nproc)"
	(cd build-asan && ctest --output-on-failure --timeout 600 "$@")
fi
# Fuzz each harness for a bounded time (DEPLOYFS_FUZZ_SECONDS=0 skips).
[ "${DEPLOYFS_FUZZ_SECONDS:-30}" = 0 ] || scripts/fuzz.sh
