#!/bin/sh
# Build the libFuzzer harnesses with clang (into ./build-fuzz) and run each
# for a bounded time, starting from its committed corpus
# (tests/fuzz/corpus/<harness>/). Any crash, leak, sanitizer report or
# timeout fails; the input is kept as build-fuzz/crash-<harness>-*: add it
# to the corpus (it is replayed by ctest from then on) once fixed.
# New inputs found go to a scratch directory, not into the repository.
#
# Usage: scripts/fuzz.sh [SECONDS]   per harness; default
#        $DEPLOYFS_FUZZ_SECONDS, else 30
# Regenerate the hostile archives of the check corpus:
#        tests/hostile_archives.py tests/fuzz/corpus/check --bomb 4194304
#        (then remove corrupt_archive--pax-huge.tar: 2 MiB is no seed)
set -e
cd "$(dirname "$0")/.."
secs=${1:-${DEPLOYFS_FUZZ_SECONDS:-30}}
harnesses="check name record isotime"

CC=clang cmake -S . -B build-fuzz -DDEPLOYFS_FUZZ=ON -DDEPLOYFS_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=""
for h in $harnesses; do targets="$targets fuzz_$h"; done
# shellcheck disable=SC2086
cmake --build build-fuzz -j 2 --target $targets

scratch=$(mktemp -d "${TMPDIR:-/tmp}/deployfs-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failed=""
for h in $harnesses; do
	mkdir "$scratch/$h"
	echo "fuzz: $h for $secs s"
	if ! ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"build-fuzz/tests/fuzz/fuzz_$h" -max_total_time="$secs" \
		-timeout=20 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="build-fuzz/crash-$h-" \
		"$scratch/$h" "tests/fuzz/corpus/$h" >"$scratch/$h.log" 2>&1; then
		tail -n 60 "$scratch/$h.log" >&2
		failed="$failed $h"
	else
		grep -E '^stat::number_of_executed_units|^Done' "$scratch/$h.log" || true
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (inputs in build-fuzz/crash-*)" >&2
	exit 1
fi
echo "fuzz: no crash in $secs s per harness"
