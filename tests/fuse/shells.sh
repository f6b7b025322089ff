#!/bin/bash
# Acceptance 4 of issue 2: shell redirection (with its early close of the
# un-dup'd fd), dd and tee each give exactly one success record; an open
# and close with no bytes (touch, `: >`) records nothing.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon

# one_deploy PROJECT FILE CMD-NAME SHELL-SNIPPET [delta] — run the snippet
# with $1=FILE $2=MNT/deploy/PROJECT; expect exactly one new success record
# of FILE whose command names CMD-NAME (delta: see check_success).
one_deploy() {
	local p=$1 f=$2 cmd=$3 snippet=$4 mode=${5:-} before id rc=0
	before=$(ids_all)
	bash -c "$snippet" _ "$f" "$MNT/deploy/$p" 2>"$T/sh.err" || rc=$?
	assert_eq "$rc" 0 "'$snippet' exit status (stderr: $(cat "$T/sh.err"))"
	id=$(new_id "$before")
	check_success "$id" "$p" "$f" "$mode"
	assert_match "$(rec "$id" .command)" "(^|/)$cmd( |$)" "$p: command"
	assert_cmp "$MNT/deploy/$p" "$f" "reading deploy/$p"
	assert_eq "$(link_target "$MNT/projects/$p/current")" "../../deployments/$id" "projects/$p/current"
	assert_eq "$(pending_count)" 0 "entries in status/pending after '$snippet'"
	LAST_ID=$id
}

make_tgz "$T/cat.tgz" 300
one_deploy shcat "$T/cat.tgz" cat 'cat "$1" >"$2"'
cat_id=$LAST_ID

# A plain tar: bytes patched inside a file's data keep it a valid archive.
mkdir "$T/ddsrc"
head -c 2560000 /dev/urandom >"$T/ddsrc/data.bin"
tar -C "$T/ddsrc" -cf "$T/dd.tar" data.bin
one_deploy shdd "$T/dd.tar" dd 'dd if="$1" of="$2" bs=1M status=none'

# dd conv=notrunc patches the current payload in place (the open without
# O_TRUNC starts from a copy of it).
cp "$T/dd.tar" "$T/patched.tar"
printf 'PATCHED!' | dd of="$T/patched.tar" bs=1 seek=100000 conv=notrunc status=none
one_deploy shdd "$T/patched.tar" dd \
	'printf "PATCHED!" | dd of="$2" bs=1 seek=100000 conv=notrunc status=none' delta

# tar | tee: tee writes the stream to the drop box and to a local copy.
mkdir "$T/tree"
head -c 200000 /dev/urandom >"$T/tree/blob"
echo hello >"$T/tree/hello.txt"
before=$(ids_all)
tar -C "$T/tree" -czf - . | tee "$MNT/deploy/shtee" >"$T/tee.tgz" ||
	fail "tar czf - dir | tee deploy/shtee failed"
id=$(new_id "$before")
check_success "$id" shtee "$T/tee.tgz"
assert_match "$(rec "$id" .command)" '(^|/)tee ' "shtee: command"
log "cat >, dd, tee: one record each: ok"

# --- no bytes, no record ---------------------------------------------------
before=$(ids_all)
run touch "$MNT/deploy/shtouch"
[ "$RC" -eq 0 ] || soft_fail "touch deploy/shtouch (a new project) failed: $ERRTXT"
assert_eq "$(new_ids "$before")" "" "new deployments after touch of a new project"
assert_eq "$(ids_of shtouch)" "" "ls projects/shtouch after touch"
assert_eq "$(pending_count)" 0 "entries in status/pending after touch"

run touch "$MNT/deploy/shcat"
[ "$RC" -eq 0 ] || soft_fail "touch deploy/shcat (an existing project) failed: $ERRTXT"
bash -c ': >"$1"' _ "$MNT/deploy/shcat" || soft_fail ": > deploy/shcat failed"
assert_eq "$(new_ids "$before")" "" "new deployments after touch and ': >' of a drop box"
assert_eq "$(link_target "$MNT/projects/shcat/current")" "../../deployments/$cat_id" \
	"projects/shcat/current after touch"
assert_cmp "$MNT/deployments/$cat_id/payload" "$T/cat.tgz" "payload after touch"
assert_eq "$(pending_count)" 0 "entries in status/pending after touch"
log "touch and ': >' record nothing: ok"

finish
