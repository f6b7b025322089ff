#!/bin/bash
# deployctl --store on a directory that holds no store refuses with a
# clear message (exit 1) and creates nothing there; a damaged data.mdb is
# "not a deployfs store, or damaged", never "another format".
. "$(dirname "$0")/lib.sh" "$@"

# An empty directory, and one with unrelated files: left as they were.
for d in "$T/empty" "$T/home"; do
	mkdir "$d"
	[ "$d" = "$T/home" ] && echo notes >"$d/notes.txt"
	before=$(cd "$d" && find . | sort)
	for cmd in list "verify" "gc --dry-run" "project list" "project rm x"; do
		# shellcheck disable=SC2086
		expect 1 "cannot open '$d': not a deployfs store \(no data.mdb\)" \
			"$cmd on $d" "$CTL" --store "$d" $cmd
	done
	assert_eq "$(cd "$d" && find . | sort)" "$before" "what is in $d afterwards"
done

# No such directory: the system's word for it, and still nothing made.
expect 1 "cannot open '$T/none': No such file or directory" "missing dir" \
	"$CTL" --store "$T/none" list
[ ! -e "$T/none" ] || fail "$T/none was created"

# Damaged: garbage, an empty file, a truncated store.
mkdir "$T/garbage" "$T/zero"
head -c 65536 /dev/urandom >"$T/garbage/data.mdb"
: >"$T/zero/data.mdb"
"$GEN" --store "$T/real" -n 50
mkdir "$T/cut"
head -c 4096 "$T/real/data.mdb" >"$T/cut/data.mdb"
for d in garbage zero cut; do
	expect 1 "cannot open '$T/$d': not a deployfs store, or damaged" \
		"damaged $d" "$CTL" --store "$T/$d" list
	[[ $ERRTXT != *"another format"* ]] || fail "$d: says another format: $ERRTXT"
	[ ! -e "$T/$d/blobs" ] && [ ! -e "$T/$d/tmp" ] ||
		fail "$d: subdirectories were created: $(ls "$T/$d")"
done

# The real store still opens.
run "$CTL" --store "$T/real" --json list --limit 1
assert_eq "$RC" 0 "list on a real store (stderr: $ERRTXT)"
assert_eq "$(jq .total <<<"$OUT")" 50 "records of the real store"
finish
