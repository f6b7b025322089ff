#!/bin/bash
# Payload pages stay in the kernel's page cache between opens only while
# they can hold nothing but the proven bytes the new handle serves
# (core/keepcache.h): a second read of a proven payload comes from memory
# (fincore sees its pages still resident after another open), a drop box
# whose blob changed (deploy, rollback) drops them at the next open, and a
# handle still reading the old blob never shows its pages to a handle of
# the new one, nor the other way round — also when the versions differ in
# size, are deployed by rename, are stat'ed meanwhile, or are mmap'ed
# (each deployed version is an inode of its own). rsync --inplace, which
# reads its basis then opens it to write, deploys exactly the new bytes.
# A handle whose project was removed (deployctl project rm) gets "Stale
# file handle", not another project's bytes.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
[ $# -ge 2 ] || fail "usage: $0 deployfs deployctl"
CTL=$(realpath "$2")
command -v fincore >/dev/null || fail "fincore is not installed (util-linux)"
command -v rsync >/dev/null || fail "rsync is not installed (scripts/deps.sh --test)"
command -v python3 >/dev/null || fail "python3 is not installed (scripts/deps.sh --test)"
export DEPLOYFS_STORE=$STORE
unset DEPLOYFS_MOUNT
start_daemon

# mk NAME — a 4 MiB tar of random bytes: every one the same size.
mk() {
	mkdir "$T/src"
	head -c 4M /dev/urandom >"$T/src/data.bin"
	tar -C "$T/src" -cf "$T/$1.tar" data.bin
	rm -rf "$T/src"
}
resident() { fincore -b -n -o RES "$1" | tr -d " "; }
# After a deploy, past the settle time of a proof (core/verified.h).
settle() { sleep 0.2; }
box=$MNT/deploy/app
for v in a b c; do mk "$v"; done
size=$(fsize "$T/a.tar")
assert_eq "$(fsize "$T/b.tar")" "$size" "the versions' sizes"

# --- 1. a proven payload's pages are kept between opens ---------------------
deploy_ok "$T/a.tar" app
ida=$ID
settle
assert_cmp "$T/a.tar" "$box" "first read of deploy/app (proves the blob)"
assert_eq "$(resident "$box")" "$(((size + 4095) / 4096 * 4096))" \
	"pages of deploy/app kept after a proven read (fincore opens it again)"
assert_cmp "$T/a.tar" "$box" "second read of deploy/app"
pay=$MNT/deployments/$ida/payload
assert_cmp "$T/a.tar" "$pay" "first read of deployments/<id>/payload"
[ "$(resident "$pay")" -gt 0 ] ||
	fail "deployments/<id>/payload: pages dropped after a proven read"
assert_cmp "$T/a.tar" "$pay" "second read of deployments/<id>/payload"
log "1: proven payload pages kept between opens: ok"

# --- 2. a deploy of other bytes of the same size drops them -----------------
deploy_ok "$T/b.tar" app
idb=$ID
assert_eq "$(resident "$box")" 0 "pages of deploy/app after a new deploy"
assert_cmp "$T/b.tar" "$box" "deploy/app after a deploy of the same size"
settle
assert_cmp "$T/b.tar" "$box" "deploy/app read again"
assert_cmp "$T/b.tar" "$MNT/projects/app/current/payload" "current/payload"
assert_cmp "$T/a.tar" "$pay" "the first deployment's payload"
log "2: a new deploy of the same size: new bytes, old pages dropped: ok"

# --- 3. a handle on the old blob and one on the new, interleaved ------------
exec 3<"$box"
dd bs=64K count=16 status=none <&3 >"$T/old.head"
deploy_ok "$T/c.tar" app
assert_cmp "$T/c.tar" "$box" "deploy/app while a handle on the old blob reads"
exec 4<"$box"
dd bs=64K count=16 status=none <&4 >"$T/new.head"
cat <&3 >"$T/old.tail"
cat <&4 >"$T/new.tail"
exec 3<&- 4<&-
cat "$T/old.head" "$T/old.tail" >"$T/old"
cat "$T/new.head" "$T/new.tail" >"$T/new"
assert_cmp "$T/b.tar" "$T/old" "a handle opened before the deploy, read across it"
assert_cmp "$T/c.tar" "$T/new" "a handle opened after the deploy, interleaved"
settle
assert_cmp "$T/c.tar" "$box" "deploy/app once both handles closed"
assert_cmp "$T/c.tar" "$box" "deploy/app read again"
log "3: old and new handles interleaved: each its own blob's bytes: ok"

# --- 3b. versions of other sizes, deployed by rename, stat'ed, mmap'ed ------
mkdir "$T/src"
head -c 1M /dev/urandom >"$T/src/data.bin"
tar -C "$T/src" -cf "$T/small.tar" data.bin
head -c 6M /dev/urandom >"$T/src/data.bin"
tar -C "$T/src" -cf "$T/big.tar" data.bin
rm -rf "$T/src"
run rsync -a --whole-file "$T/small.tar" "$box"
[ "$RC" -eq 0 ] || fail "rsync of the small version: $ERRTXT"
settle
cat >"$T/views.py" <<'PY'
import mmap, os, subprocess, sys
box, small, big = sys.argv[1:4]
want_small, want_big = open(small, 'rb').read(), open(big, 'rb').read()
def deploy(src):
    subprocess.run(['rsync', '-a', '--whole-file', src, box], check=True)
    os.stat(box)                          # the kernel learns the new size
old = open(box, 'rb')
got = old.read(65536)
m_old = mmap.mmap(old.fileno(), 0, prot=mmap.PROT_READ)
deploy(big)                               # bigger, by rename
new = open(box, 'rb')
m_new = mmap.mmap(new.fileno(), 0, prot=mmap.PROT_READ)
got_new = m_new[:]                        # the new pages, filled first
os.stat(box)
got += old.read()                         # the rest of the old handle
assert os.fstat(old.fileno()).st_size == len(want_small), 'old size'
# One number for the project, whatever version a handle reads.
assert os.fstat(old.fileno()).st_ino == os.stat(box).st_ino, 'inode number'
assert [e.inode() for e in os.scandir(os.path.dirname(box))
        if e.name == os.path.basename(box)] == [os.stat(box).st_ino], \
    'readdir inode number'
assert got == want_small, 'old handle: %d bytes, not the small version' % len(got)
assert m_old[:] == want_small, 'old mmap: not the small version'
assert got_new == want_big, 'new mmap: not the big version'
assert open(box, 'rb').read() == want_big, 'a new read: not the big version'
deploy(small)                             # smaller again
assert new.read() == want_big, 'handle of the big version after a smaller deploy'
assert open(box, 'rb').read() == want_small, 'a new read: not the small version'
PY
run python3 "$T/views.py" "$box" "$T/small.tar" "$T/big.tar"
[ "$RC" -eq 0 ] || fail "versions of other sizes: $ERRTXT"
log "3b: other sizes, by rename, stat'ed and mmap'ed: each handle its version: ok"

# --- 4. a rollback to the first blob drops the pages too --------------------
"$CTL" rollback app "$ida" >/dev/null 2>"$T/ctl.err" ||
	fail "deployctl rollback: $(cat "$T/ctl.err")"
assert_cmp "$T/a.tar" "$box" "deploy/app after a rollback"
assert_cmp "$T/a.tar" "$box" "deploy/app after a rollback, read again"
log "4: rollback: the old bytes, not the cached ones: ok"

# --- 5. rsync --inplace reads its basis, then writes it ---------------------
cp "$T/c.tar" "$T/r.tar"
for i in 1 2 3; do
	printf 'round%02d' "$i" | dd of="$T/r.tar" bs=1 seek=$((size / 2)) \
		conv=notrunc status=none
	touch -d "@$((1700000000 + i))" "$T/r.tar"
	run rsync -a --no-whole-file --inplace "$T/r.tar" "$box"
	[ "$RC" -eq 0 ] || fail "rsync --inplace round $i: $ERRTXT"
	assert_cmp "$T/r.tar" "$box" "deploy/app after rsync --inplace round $i"
	settle
done
assert_eq "$(sha "$box")" "$(sha "$T/r.tar")" "deploy/app after the rounds"
assert_eq "$(rec "$(ids_all | tail -n 1)" .payload_hash)" "$(sha "$T/r.tar")" \
	"the last deployment's hash"
log "5: rsync --inplace three times: exactly the new bytes: ok"
[ "$idb" != "$ida" ] || fail "two deploys, one id"

# --- 6. a handle whose project is removed reads a clear error ---------------
cp "$T/a.tar" "$MNT/deploy/gone"
exec 5<"$MNT/deploy/gone"
"$CTL" --store "$STORE" project rm --force gone >/dev/null 2>"$T/ctl.err" ||
	fail "deployctl project rm --force gone: $(cat "$T/ctl.err")"
run python3 -c 'import os, sys
try:
    os.fstat(5)
except OSError as e:
    print(os.strerror(e.errno)); sys.exit(3)'
assert_eq "$RC" 3 "fstat of a removed project's handle"
assert_match "$(cat "$T/run.out")" "Stale file handle" "fstat's error"
exec 5<&-
[ ! -e "$MNT/deploy/gone" ] || fail "deploy/gone still there after project rm"
log "6: a removed project's open handle: Stale file handle: ok"
