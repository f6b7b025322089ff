#!/bin/bash
# Acceptance 5 of issue 4: scripts/hooks/release.sh as the hook (with
# hook_wait) deploys two versions, each unpacked into releases/<id> with
# `current` switched to it; a third deploy that fails (the hook fails, or
# the archive is bad) leaves `current` on the second, whose files are the
# second tarball's.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
HOOK=$(realpath "$(dirname "$0")/../../scripts/hooks/release.sh")
[ -f "$HOOK" ] || fail "no example hook at $HOOK"
[ -x "$HOOK" ] || fail "the example hook $HOOK is not executable"

# DEPLOYFS_RELEASE_ROOT, when set in the daemon's environment, should
# reach the hook; the default is STORE/releases/<project>.
export DEPLOYFS_RELEASE_ROOT=$T/srv/web
start_daemon -o "hook=$HOOK,hook_wait"
unset DEPLOYFS_RELEASE_ROOT

# make_version N — $T/vN/ (a tree with a VERSION file) and $T/vN.tgz.
make_version() {
	local d=$T/v$1
	mkdir -p "$d/bin" "$d/conf"
	echo "$1" >"$d/VERSION"
	printf '#!/bin/sh\necho "app v%s"\n' "$1" >"$d/bin/app"
	chmod 755 "$d/bin/app"
	head -c $((64 * 1024 + $1)) /dev/urandom >"$d/conf/key.bin"
	ln -s ../VERSION "$d/conf/version"
	[ "$1" -ne 1 ] || echo "only in v1" >"$d/old.txt"
	tar -C "$d" -czf "$T/v$1.tgz" .
}
# release_ok N ID — a deploy of version N as ID made a release and
# switched current to it.
release_ok() {
	check_success "$2" web "$T/v$1.tgz"
	[ -d "$ROOT/releases/$2" ] || fail "v$1: no release directory $ROOT/releases/$2"
	assert_eq "$(readlink "$ROOT/current")" "releases/$2" "v$1: current -> releases/<id>"
	diff -r --no-dereference "$T/v$1" "$ROOT/current/" >&2 ||
		fail "v$1: the files under current differ from v$1.tgz's (diff above)"
	grep -q "^current -> releases/$2$" "$MNT/deployments/$2/log" ||
		fail "v$1: the hook's output is not in the log: $(cat "$MNT/deployments/$2/log")"
}

make_version 1
deploy_ok "$T/v1.tgz" web
id1=$ID
ROOT=$T/srv/web
if [ ! -e "$ROOT/current" ]; then
	soft_fail "DEPLOYFS_RELEASE_ROOT in the daemon's environment did not reach the hook"
	ROOT=$STORE/releases/web
fi
[ -L "$ROOT/current" ] || fail "no current symlink under $ROOT after the first deploy"
release_ok 1 "$id1"
log "v1 released: $(readlink "$ROOT/current")"

make_version 2
deploy_ok "$T/v2.tgz" web
id2=$ID
release_ok 2 "$id2"
[ -d "$ROOT/releases/$id1" ] || fail "v2 removed v1's release"
log "v2 released: $(readlink "$ROOT/current")"

# third_failed ID — the third deploy failed and v2 stands everywhere.
third_failed() {
	assert_eq "$(readlink "$ROOT/current")" "releases/$id2" "current after a failed third deploy"
	diff -r --no-dereference "$T/v2" "$ROOT/current/" >&2 ||
		fail "the files under current differ from v2.tgz's after a failed third deploy (diff above)"
	[ ! -e "$ROOT/releases/$1" ] || fail "a release directory was made for the failed deploy $1"
	check_current web "$id2" "$T/v2.tgz"
}

# 3a: a valid archive the hook cannot unpack: a hard link to a file that
# is not in it (tar -x fails, as root too).
make_version 3
mkdir "$T/v3x"
echo three >"$T/v3x/a"
ln "$T/v3x/a" "$T/v3x/b"
tar -C "$T/v3x" -cf "$T/v3.tar" a b
tar --delete -f "$T/v3.tar" a
gzip -k "$T/v3.tar"
deploy_fail 'Operation canceled' "$T/v3.tar.gz" web
check_failed "$ID" web hook_failed
assert_match "$(rec "$ID" .error.message)" 'hard link|link' "error.message of the failed unpack"
third_failed "$ID"
log "3a: hook failure leaves current on v2: ok"

# 3b: a truncated archive never reaches the hook.
head -c $(($(fsize "$T/v3.tgz") / 2)) "$T/v3.tgz" >"$T/v3-short.tgz"
deploy_fail 'Bad message' "$T/v3-short.tgz" web
check_failed "$ID" web truncated_archive
third_failed "$ID"
! grep -q 'unpacking' "$MNT/deployments/$ID/log" || fail "the hook ran for a truncated archive"
log "3b: bad archive leaves current on v2: ok"

# And a good third version still goes out.
deploy_ok "$T/v3.tgz" web
release_ok 3 "$ID"
log "5: example release hook: ok"

finish
