#!/bin/sh
# Format the tracked C sources as .clang-format says; with --check, change
# nothing and fail on any file that differs (what scripts/test.sh runs).
set -e
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	files=$(find core fs tools tests -name '*.[ch]')
fi
if [ "$1" = "--check" ]; then
	# shellcheck disable=SC2086 # one word per file
	clang-format --dry-run --Werror $files || {
		echo "format: run scripts/format.sh" >&2
		exit 1
	}
	exit 0
fi
# shellcheck disable=SC2086
exec clang-format -i $files
