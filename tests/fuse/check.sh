#!/bin/bash
# Acceptance 1 and 2 of issue 4: the full archive check. Tarballs cut
# short (by 1 byte, 10 KiB, half) fail truncated_archive, a flipped byte in
# gzip data fails corrupt_archive, "../" and absolute entry paths fail
# unsafe_path; each time cp gets EBADMSG and the previous current stands.
# The manifest matches `tar tvf`; entries, unpacked_size, payload_format
# (gzip, xz, bzip2, zstd, plain) and an npm tarball's package_identifier
# are right.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
for tool in xz bzip2; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps.sh --test)"
done
start_daemon

# --- a good multi-file tar.gz ----------------------------------------------
make_tree "$T/src"
tar -C "$T/src" --sort=name -czf "$T/good.tgz" .
deploy_ok "$T/good.tgz" app
good=$ID
check_success "$good" app "$T/good.tgz"
assert_eq "$(rec "$good" .payload_format)" tar+gzip "payload_format of a tar.gz"
check_current app "$good" "$T/good.tgz"
log "good tar.gz deployed as $good"

# --- 2. manifest = tar tvf; entries and unpacked_size agree ------------------
man=$MNT/deployments/$good/manifest
[ -f "$man" ] || fail "no deployments/<id>/manifest"
cat "$man" >"$T/manifest"
assert_eq "$(fsize "$man")" "$(wc -c <"$T/manifest")" "stat size of manifest vs its bytes"
# "<mode> <size> <path>[ -> target| link to target]" from both sides.
tar --quoting-style=literal --numeric-owner -tvf "$T/good.tgz" |
	awk '{ m = $1; s = $3; $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, "");
	       print m, s, $0 }' >"$T/tvf"
cut -c1 "$T/manifest" >"$T/m.types"
cut -c1 "$T/tvf" >"$T/t.types"
cut -d' ' -f2- "$T/manifest" >"$T/m.rest"
cut -d' ' -f2- "$T/tvf" >"$T/t.rest"
if ! cmp -s "$T/m.types" "$T/t.types" || ! cmp -s "$T/m.rest" "$T/t.rest"; then
	diff "$T/tvf" "$T/manifest" >&2 || true
	fail "manifest differs from tar tvf in types, sizes or paths (diff above: < tar tvf, > manifest)"
fi
if ! cmp -s "$T/manifest" "$T/tvf"; then
	diff "$T/tvf" "$T/manifest" >&2 || true
	soft_fail "manifest's mode strings differ from tar tvf's (diff above)"
fi
for want in "^l.* ./link -> data/random.bin$" "^h.* ./hard.txt link to ./README.txt$" \
	"^d.* ./data/nested/$" "^-.* 1048576 ./data/random.bin$"; do
	grep -q -- "$want" "$T/manifest" || fail "manifest lacks a line /$want/"
done
n=$(wc -l <"$T/tvf")
assert_eq "$(rec "$good" .entries)" "$n" "entries (lines of tar tvf)"
sum=$(awk '{ s += $2 } END { print s }' "$T/manifest")
want_sum=$(($(fsize "$T/src/README.txt") + $(fsize "$T/src/big.txt") + 1048576 + 7))
assert_eq "$sum" "$want_sum" "sum of the manifest's sizes (the regular files' bytes)"
assert_eq "$(rec "$good" .unpacked_size)" "$sum" "unpacked_size"
soft_eq "$(rec "$good" .package_identifier)" null "package_identifier without a package.json"
lg=$MNT/deployments/$good/log
[ -f "$lg" ] || fail "no deployments/<id>/log"
grep -q ' deployfs: check passed' "$lg" ||
	soft_fail "log of a good deploy lacks 'deployfs: check passed': $(cat "$lg")"
log "2: manifest matches tar tvf ($n entries, $sum bytes): ok"

# --- 1. truncated, corrupt and unsafe archives fail; current stands ----------
# bad_deploy CODE FILE — cp FILE to deploy/app fails EBADMSG with CODE, and
# app's current is still the good deploy.
bad_deploy() {
	deploy_fail 'Bad message' "$2" app
	check_failed "$ID" app "$1"
	assert_eq "$(rec "$ID" .error.phase)" validate "$ID: error.phase"
	assert_eq "$(rec "$ID" .payload_size)" "$(fsize "$2")" "$ID: payload_size"
	check_current app "$good" "$T/good.tgz"
	assert_eq "$(link_target "$MNT/projects/app/latest")" "../../deployments/$ID" \
		"projects/app/latest after a failed deploy"
	log "$(basename "$2"): $1 ($(rec "$ID" .error.message))"
}
size=$(fsize "$T/good.tgz")
for cut in 1 10240 $((size / 2)); do
	head -c $((size - cut)) "$T/good.tgz" >"$T/short-$cut.tgz"
	bad_deploy truncated_archive "$T/short-$cut.tgz"
done

# The random file is the bulk of the archive: 60 % in is inside its
# (stored, incompressible) deflate data, which only the CRC catches.
cp "$T/good.tgz" "$T/flipped.tgz"
flip_byte "$T/flipped.tgz" $((size * 6 / 10))
bad_deploy corrupt_archive "$T/flipped.tgz"

mkdir "$T/evil"
echo "root:x:0:0::/root:/bin/sh" >"$T/evil/passwd"
echo fine >"$T/evil/ok.txt"
tar -C "$T/evil" -P --transform 's,^passwd$,../etc/passwd,' -czf "$T/dotdot.tgz" ok.txt passwd
tar -tzf "$T/dotdot.tgz" 2>/dev/null | grep -qx '../etc/passwd' || fail "could not make an archive with ../etc/passwd"
bad_deploy unsafe_path "$T/dotdot.tgz"
assert_match "$(rec "$ID" .error.message)" 'etc/passwd' "unsafe_path message names the entry"
tar -C "$T/evil" -P --transform 's,^passwd$,/etc/passwd,' -czf "$T/absolute.tgz" ok.txt passwd
tar -tzf "$T/absolute.tgz" 2>/dev/null | grep -qx '/etc/passwd' || fail "could not make an archive with /etc/passwd"
bad_deploy unsafe_path "$T/absolute.tgz"
tar -C "$T/evil" -P --transform 's,^passwd$,sub/../../x,' -cf "$T/inner.tar" ok.txt passwd
bad_deploy unsafe_path "$T/inner.tar"
assert_eq "$(pending_count)" 0 "entries in status/pending"
log "1: truncated, corrupt and unsafe archives refused, current kept: ok"

# --- formats ------------------------------------------------------------------
fmt_deploy() { # FORMAT FILE
	deploy_ok "$2" fmt
	check_success "$ID" fmt "$2"
	assert_eq "$(rec "$ID" .payload_format)" "$1" "payload_format of $(basename "$2")"
	assert_eq "$(rec "$ID" .entries)" "$n" "entries of $(basename "$2")"
	assert_eq "$(rec "$ID" .unpacked_size)" "$sum" "unpacked_size of $(basename "$2")"
	assert_cmp "$MNT/deployments/$ID/manifest" "$T/manifest" "manifest of $(basename "$2")"
}
tar -C "$T/src" --sort=name -cJf "$T/good.txz" .
fmt_deploy tar+xz "$T/good.txz"
tar -C "$T/src" --sort=name -cjf "$T/good.tbz2" .
fmt_deploy tar+bzip2 "$T/good.tbz2"
tar -C "$T/src" --sort=name -cf "$T/good.tar" .
fmt_deploy tar "$T/good.tar"
if tar -C "$T/src" --sort=name --zstd -cf "$T/good.tzst" . 2>/dev/null; then
	fmt_deploy tar+zstd "$T/good.tzst"
	head -c $(($(fsize "$T/good.tzst") - 100)) "$T/good.tzst" >"$T/short.tzst"
	deploy_fail 'Bad message' "$T/short.tzst" fmt
	check_failed "$ID" fmt truncated_archive
else
	log "tar --zstd does not work here: tar+zstd not tried"
fi
head -c $(($(fsize "$T/good.txz") / 2)) "$T/good.txz" >"$T/short.txz"
deploy_fail 'Bad message' "$T/short.txz" fmt
check_failed "$ID" fmt truncated_archive
log "formats: ok"

# --- npm-style tarball: package/package.json ------------------------------------
# As `npm pack` makes it: one top folder "package", fixed mtime, owner 0.
mkdir -p "$T/npm/package/lib" "$T/npm/package/node_modules/dep"
cat >"$T/npm/package/package.json" <<'JSON'
{
  "name": "@acme/left-pad",
  "version": "1.3.0-rc.1",
  "description": "pads things",
  "main": "lib/index.js"
}
JSON
echo 'module.exports = (s) => " " + s;' >"$T/npm/package/lib/index.js"
echo '{"name": "dep", "version": "9.9.9"}' >"$T/npm/package/node_modules/dep/package.json"
tar -C "$T/npm" --sort=name --owner=0 --group=0 --numeric-owner \
	--mtime='1985-10-26 08:15:00' -czf "$T/npm.tgz" package
deploy_ok "$T/npm.tgz" pkg
check_success "$ID" pkg "$T/npm.tgz"
assert_eq "$(rec "$ID" .package_identifier)" "@acme/left-pad@1.3.0-rc.1" "package_identifier of an npm tarball"
# A package.json at the top of the archive counts too.
tar -C "$T/npm/package" -czf "$T/top.tgz" ./package.json lib
deploy_ok "$T/top.tgz" pkg
check_success "$ID" pkg "$T/top.tgz"
assert_eq "$(rec "$ID" .package_identifier)" "@acme/left-pad@1.3.0-rc.1" "package_identifier of a top-level package.json"
log "2: package_identifier: ok"

finish
