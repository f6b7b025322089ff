#!/bin/bash
# Hostile archives cannot hurt the host: each one tests/hostile_archives.py
# writes (devices, FIFO, setuid and setgid entries, absolute and climbing
# symlinks, chains of symlinks, entries written through them or put on them that leave
# the root, a symlink loop, control bytes in names, a huge and a malformed pax header,
# garbage after the end of every format, and the bombs: a 20 MiB .tar.gz,
# a 3 MiB .tar.xz and 0.6 MiB .tar.zst, one with a 2 GiB window, each
# unpacking to 20 GiB of zeros, as one declared file or as bare zeros) is refused by cp with the record's
# error.code the file is named for, each bomb within 10 s, and the
# daemon's peak RSS stays under 64 MiB through all of them. Then
# -o max_unpacked=SIZE caps what an archive unpacks to.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
command -v python3 >/dev/null || fail "python3 is not installed (scripts/deps.sh --test)"
GEN=$(dirname "$0")/../hostile_archives.py

# Sanitizers add shadow memory, quarantine and slower code.
if nm "$DEPLOYFS" 2>/dev/null | grep -q __asan_init ||
	ldd "$DEPLOYFS" 2>/dev/null | grep -q libasan; then
	LIMIT_KB=$((768 * 1024)) BOMB_S=40
else
	LIMIT_KB=$((64 * 1024)) BOMB_S=10
fi
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$DPID/status"; }

t0=$(now_ms)
python3 "$GEN" "$T/h"
log "archives written in $(($(now_ms) - t0)) ms: $(ls "$T/h" | wc -l) files, $(du -sh "$T/h" | cut -f1)"

start_daemon
make_tgz "$T/good.tgz"
deploy_ok "$T/good.tgz" h
good=$ID

for f in "$T"/h/*; do
	name=$(basename "$f")
	code=${name%%--*}
	if [ "$code" = ok ]; then
		deploy_ok "$f" fine
		check_success "$ID" fine "$f"
		lines=$(wc -l <"$MNT/deployments/$ID/manifest")
		assert_eq "$lines" "$(rec "$ID" .entries)" "$name: manifest lines vs entries"
		log "$name: ok"
		continue
	fi
	t0=$(now_ms)
	deploy_fail 'Bad message|File too large' "$f" h
	ms=$(($(now_ms) - t0))
	check_failed "$ID" h "$code"
	assert_eq "$(rec "$ID" .error.phase)" validate "$name: error.phase"
	check_current h "$good" "$T/good.tgz"
	log "$name ($(fsize "$f") bytes): $code in $ms ms: $(rec "$ID" .error.message)"
	if [ "$code" = too_large ] && [ "$ms" -ge $((BOMB_S * 1000)) ]; then
		# A loaded machine: compare with the format's own tool
		# decompressing as much as the default limit lets through.
		lim=$(($(fsize "$f") * 100))
		[ "$lim" -ge $((1 << 30)) ] || lim=$((1 << 30))
		case $name in
		*.gz) tool=gzip ;; *.xz) tool=xz ;; *) tool="zstd --long=31" ;;
		esac
		t0=$(now_ms)
		$tool -dc "$f" 2>/dev/null | head -c "$lim" >/dev/null || true
		ref=$(($(now_ms) - t0))
		log "$name: $ms ms; $tool -dc of $lim bytes takes $ref ms here"
		[ "$ms" -lt $((2 * ref + 1000)) ] ||
			fail "$name: refused after $ms ms, not within $BOMB_S s" \
				"nor twice the $ref ms $tool takes"
	fi
	kb=$(hwm_kb)
	[ "$kb" -lt "$LIMIT_KB" ] || fail "daemon peak RSS $kb kB >= $LIMIT_KB kB after $name"
done
log "peak RSS through every archive: $(hwm_kb) kB (limit $LIMIT_KB kB)"

# The messages name the entry; control bytes in names are escaped.
for i in $(ids_of h); do
	[ "$(rec "$i" .error.code)" = unsafe_entry ] || continue
	assert_match "$(rec "$i" .error.message)" 'app/(s[dbgu][a-z]*|pipe)' \
		"unsafe_entry message names the entry"
done
seen=0
for i in $(ids_of h); do
	case $(rec "$i" .error.message) in
	*"through the symbolic link a/l: a/m -> l/.."*) seen=$((seen | 1)) ;;
	*"through the symbolic links x and d: x/etc/passwd"*) seen=$((seen | 2)) ;;
	*"once unpacked through the symbolic link d: x -> d/.."*) seen=$((seen | 4)) ;;
	esac
done
[ "$seen" = 7 ] || fail "unsafe_path messages do not name the links gone through ($seen)"
for i in $(ids_of fine); do
	if grep -q 'two\\nlines' "$MNT/deployments/$i/manifest" 2>/dev/null; then
		grep -qx -- '-rw-r--r-- 5 app/two\\nlines' "$MNT/deployments/$i/manifest" ||
			fail "manifest of control names: $(cat "$MNT/deployments/$i/manifest")"
		grep -qx -- 'lrw-r--r-- 0 app/link\\nname -> two\\nlines' "$MNT/deployments/$i/manifest" ||
			fail "manifest of a symlink with newlines: $(cat "$MNT/deployments/$i/manifest")"
		grep -qx -- '-rw-r--r-- 5 app/bell\\007and\\177del' "$MNT/deployments/$i/manifest" ||
			fail "manifest of control bytes: $(cat "$MNT/deployments/$i/manifest")"
		found=1
	fi
done
[ "${found:-0}" = 1 ] || fail "no manifest with escaped names"

# --- -o max_unpacked ----------------------------------------------------------
stop_daemon
run "$DEPLOYFS" -f -o max_unpacked=lots "$STORE" "$MNT"
assert_eq "$RC" 2 "exit status of deployfs -o max_unpacked=lots"
assert_match "$ERRTXT" 'max_unpacked' "message of a bad max_unpacked"
python3 "$GEN" "$T/small" --bomb $((4 << 20))
start_daemon -o max_unpacked=1M
deploy_fail 'File too large' "$T/small/too_large--bomb.tar.gz" h
check_failed "$ID" h too_large
assert_match "$(rec "$ID" .error.message)" 'max_unpacked' "too_large message names the option"
make_tgz "$T/fits.tgz" 512
deploy_ok "$T/fits.tgz" h
check_success "$ID" h "$T/fits.tgz"
log "max_unpacked=1M: a 4 MiB bomb refused, 512 KiB unpacked pass"
finish
