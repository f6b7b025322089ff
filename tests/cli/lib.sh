# tests/cli/lib.sh — sourced by the command-line tests, which run
# deployctl and deployfs-gen on stores in a temp dir, without a mount.
#
#   . "$(dirname "$0")/lib.sh" "$@"   # $1: deployctl, $2: deployfs-gen
#
# Sets $CTL, $GEN and a private temp dir $T, removed at exit.
# Exit status: 0 pass, 1 fail.

set -Eeuo pipefail
export LC_ALL=C TZ=UTC

TEST_NAME=$(basename "$0" .sh)

log() { printf '[%s] %s\n' "$TEST_NAME" "$*" >&2; }
fail() {
	printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

[ $# -ge 2 ] || fail "usage: $0 PATH/TO/deployctl PATH/TO/deployfs-gen"
CTL=$(realpath "$1")
GEN=$(realpath "$2")
[ -x "$CTL" ] && [ -x "$GEN" ] || fail "build deployctl and deployfs-gen first"
command -v jq >/dev/null || fail "jq is not installed (scripts/deps.sh --test)"

T=$(mktemp -d "${TMPDIR:-/var/tmp}/deployfs-$TEST_NAME.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'log "unexpected failure (status $?) at line $LINENO: $BASH_COMMAND"' ERR

assert_eq() { # GOT WANT WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}
assert_match() { # GOT ERE WHAT
	[[ $1 =~ $2 ]] || fail "$3: '$1' does not match /$2/"
}
# run CMD... — sets RC, OUT (stdout) and ERRTXT (stderr).
run() {
	RC=0
	"$@" >"$T/run.out" 2>"$T/run.err" || RC=$?
	OUT=$(cat "$T/run.out")
	ERRTXT=$(cat "$T/run.err")
}
# expect STATUS ERE WHAT CMD... — CMD exits STATUS with ERE in stderr.
expect() {
	local status=$1 ere=$2 what=$3
	shift 3
	run "$@"
	[ "$RC" -eq "$status" ] ||
		fail "$what: '$*' exited $RC, expected $status (stderr: $ERRTXT)"
	[[ $ERRTXT =~ $ere ]] ||
		fail "$what: stderr '$ERRTXT' lacks /$ere/"
}
finish() {
	log PASS
	exit 0
}
