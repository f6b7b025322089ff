#!/bin/bash
# Benchmarks, reported as ratios against baselines measured in the same run
# (the machine is shared and noisy). Not part of the test suite. Runs on a
# machine prepared by scripts/deps.sh (it calls it), as any user who may
# mount FUSE filesystems; builds a Release tree of its own in build-bench/.
#
#   scripts/bench.sh [-s SECTIONS] [N]
#
#   N: deployments in the history store (1000000)
#   -s: the sections to run, e.g. -s 5,6 (all by default)
#   DEPLOYFS_BENCH_READ_SIZE, DEPLOYFS_BENCH_RSYNC_SIZE: the payloads of
#   sections 5 and 6 (1G, 100M), smaller for a quick run (head -c sizes)
#
# 1. cp throughput into the mount vs cp to local disk (1 GiB).
# 2. Daemon RSS while a 2 GiB upload streams.
# 3. A 1 GiB tar+gzip deploy with the full check vs cp to local disk
#    followed by tar tzf.
# 4. History at scale: deployctl list --project P --limit 20 on N records
#    vs on 1,000 records, and through the mount (newest/P) vs --store at
#    N; ls deployments | wc -l and ls projects/P | wc -l
#    counts, and the daemon's RSS meanwhile.
# 5. Read-back of a 1 GiB payload (deployments/<id>/payload, deploy/<p>,
#    projects/<p>/current/payload), warm and cold cache, vs the same blob
#    file read through a minimal FUSE passthrough (bench/passthrough.c:
#    each read spliced from the file's descriptor, same mount options).
# 6. rsync of a 100 MB plain tar with a few bytes changed into deploy/<p>
#    (whole file, as rsync copies locally; delta, as over a network; delta
#    --inplace) vs a plain cp of the whole file into deployfs; beside
#    them the same rsync to local disk + sync, and between two files in
#    memory (/dev/shm: rsync's own work, no disk, no FUSE).
# 7. Daemon RSS while a 10 GiB payload deploys and reads back, vs the
#    64 MiB bound (scaled down, loudly, when the disk is short).
# 8. The PostgreSQL catalog on a throwaway cluster: keyset pages of 20,
#    newest first, for a large, a small and an absent project at N
#    records (the database side of list --project P --limit 20).
# 9. Two daemons on one PostgreSQL catalog: cross-host visibility
#    latency, payload write and read MB/s against the LMDB store.
set -euo pipefail
cd "$(dirname "$0")/.."
SECTIONS=1,2,3,4,5,6,7,8,9
if [ "${1:-}" = "-s" ]; then
	SECTIONS=$2
	shift 2
fi
N=${1:-1000000}
READ_SIZE=${DEPLOYFS_BENCH_READ_SIZE:-1G}
RSYNC_SIZE=${DEPLOYFS_BENCH_RSYNC_SIZE:-100M}
want() { [[ ",$SECTIONS," == *",$1,"* ]]; }
scripts/deps.sh --test
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDEPLOYFS_TESTS=OFF \
	-DDEPLOYFS_BENCH=ON >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null

B=$PWD/build-bench
W=$(mktemp -d "${TMPDIR:-/var/tmp}/deployfs-bench.XXXXXX")
PID=
PT_PID=
SHM=
cleanup() {
	if [ -n "$PID" ]; then
		fusermount3 -u "$W/mnt" 2>/dev/null || fusermount3 -uz "$W/mnt" 2>/dev/null || true
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	if [ -n "$PT_PID" ]; then
		fusermount3 -u "$W/pt" 2>/dev/null || fusermount3 -uz "$W/pt" 2>/dev/null || true
		kill "$PT_PID" 2>/dev/null || true
		wait "$PT_PID" 2>/dev/null || true
	fi
	# The throwaway PostgreSQL clusters of sections 8 and 9.
	for d in "$W"/pg*; do
		if [ -d "$d" ]; then
			tests/pg/cluster.sh stop "$d" >/dev/null 2>&1 || true
		fi
	done
	[ -z "$SHM" ] || rm -rf "$SHM"
	rm -rf "$W"
}
trap cleanup EXIT

mount_store() { # STORE
	mkdir -p "$W/mnt"
	"$B/fs/deployfs" -f "$1" "$W/mnt" 2>>"$W/daemon.err" &
	PID=$!
	for _ in $(seq 100); do mountpoint -q "$W/mnt" && return 0; sleep 0.1; done
	echo "bench: mount failed" >&2; cat "$W/daemon.err" >&2; exit 1
}
unmount_store() {
	fusermount3 -u "$W/mnt"; wait "$PID" 2>/dev/null || true; PID=
}
# The baseline: FILE served read-only as $W/pt/blob.
mount_passthrough() { # FILE
	mkdir -p "$W/pt"
	"$B/bench/deployfs-passthrough" -f "$1" "$W/pt" 2>>"$W/pt.err" &
	PT_PID=$!
	for _ in $(seq 100); do mountpoint -q "$W/pt" && return 0; sleep 0.1; done
	echo "bench: passthrough mount failed" >&2; cat "$W/pt.err" >&2; exit 1
}
unmount_passthrough() {
	fusermount3 -u "$W/pt"; wait "$PT_PID" 2>/dev/null || true; PT_PID=
}
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$PID/status"; }
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b-a)*1000}'; }

# best A B — the smaller of two numbers
best() { awk -v a="$1" -v b="$2" 'BEGIN{print (a<b)?a:b}'; }
# unique SRC DST — the archive SRC (.tar or .tgz) with a member of random
# bytes put first, so that every round stores new bytes (no dedup) and
# stays a valid archive (nothing may follow an archive's end). The member
# is a header and 4096 bytes; a .tgz gets it as a gzip member of its own.
unique() {
	head -c 4096 /dev/urandom > "$W/nonce"
	tar -C "$W" -cf "$W/nonce.tar" nonce
	case $1 in
	*.tgz) { head -c 4608 "$W/nonce.tar" | gzip -c; cat "$1"; } > "$2" ;;
	*) { head -c 4608 "$W/nonce.tar"; cat "$1"; } > "$2" ;;
	esac
	rm -f "$W/nonce" "$W/nonce.tar"
}
# uncache FILE... — drop the files' pages from the page cache
uncache() {
	local f
	for f in "$@"; do dd if="$f" iflag=nocache count=0 status=none; done
}
# read_s FILE — seconds to read FILE whole (cat), failing loudly
read_s() {
	local t0 t1
	t0=$(now)
	cat "$1" >/dev/null || { echo "bench: reading $1 failed" >&2; exit 1; }
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}'
}
# blob_of STORE HASH — the blob file holding a payload
blob_of() { find "$1/blobs" -type f -name "$2*" | head -n 1; }

if want 1; then
echo "== 1. cp throughput (1 GiB, best of 3) =="
head -c 1G /dev/urandom > "$W/big.bin"
tar -C "$W" -cf "$W/big.tar" big.bin; rm "$W/big.bin"
mount_store "$W/s1"
base=999999; mine=999999
for i in 1 2 3; do
	unique "$W/big.tar" "$W/round.tar"
	t0=$(now); cp "$W/round.tar" "$W/local.tar"; sync "$W/local.tar"; t1=$(now)
	cp "$W/round.tar" "$W/mnt/deploy/bench$i"; t2=$(now)
	rm -f "$W/local.tar"
	base=$(best "$base" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
	mine=$(best "$mine" "$(awk -v a="$t1" -v b="$t2" 'BEGIN{print b-a}')")
done
echo "cp to local disk + sync: ${base}s; cp into deployfs (stored, hashed, checked): ${mine}s; ratio $(ratio "$mine" "$base") (1.00 = as fast as local disk)"
unmount_store
rm -rf "$W/s1" "$W/big.tar" "$W/round.tar"
fi

if want 2; then
echo "== 2. daemon RSS during a 2 GiB upload =="
mount_store "$W/s2"
truncate -s 2G "$W/huge.bin"
tar -C "$W" -cf - huge.bin | cat > "$W/mnt/deploy/huge" &
WR=$!
max=0
while kill -0 "$WR" 2>/dev/null; do
	r=$(rss_kb); [ "$r" -gt "$max" ] && max=$r; sleep 0.2
done
wait "$WR"
echo "peak RSS while streaming 2 GiB: $((max / 1024)) MiB (target: under 64 MiB)"
unmount_store
rm -rf "$W/s2" "$W/huge.bin"

fi

if want 3; then
echo "== 3. 1 GiB tar+gzip with the full check (best of 3) =="
mkdir "$W/src"
head -c 1G /dev/urandom > "$W/src/random.bin"
head -c 256M /dev/zero | tr '\0' 'a' > "$W/src/text.txt"
tar -C "$W/src" -czf "$W/app.tgz" . ; rm -rf "$W/src"
echo "payload: $(( $(stat -c %s "$W/app.tgz") >> 20 )) MiB of tar+gzip"
mount_store "$W/s4"
best_base=999999; best_mine=999999
for i in 1 2 3; do
	unique "$W/app.tgz" "$W/round.tgz"
	t0=$(now); cp "$W/round.tgz" "$W/local.tgz"; sync "$W/local.tgz"
	tar tzf "$W/local.tgz" >/dev/null; t1=$(now); rm -f "$W/local.tgz"
	cp "$W/round.tgz" "$W/mnt/deploy/app$i"; t2=$(now)
	best_base=$(best "$best_base" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
	best_mine=$(best "$best_mine" "$(awk -v a="$t1" -v b="$t2" 'BEGIN{print b-a}')")
done
echo "cp + sync + tar tzf: ${best_base}s; cp into deployfs (stored, hashed, fully checked): ${best_mine}s; ratio $(ratio "$best_mine" "$best_base") (target: at most 1.00)"
unmount_store
rm -rf "$W/s4" "$W/app.tgz" "$W/round.tgz"

fi

if want 4; then
echo "== 4. history at scale ($N deployments) =="
list_ms() { # --store STORE | --mount MOUNT
	local best=999999 t0 t1 v
	for _ in 1 2 3 4 5; do
		t0=$(now)
		"$B/tools/deployctl" "$1" "$2" list --project proj-003 --limit 20 >/dev/null
		t1=$(now); v=$(ms "$t0" "$t1")
		best=$(awk -v a="$v" -v b="$best" 'BEGIN{print (a<b)?a:b}')
	done
	echo "$best"
}
"$B/tools/deployfs-gen" --store "$W/small" -n 1000
t0=$(now); "$B/tools/deployfs-gen" --store "$W/large" -n "$N"; t1=$(now)
echo "generated $N deployments in $(ms "$t0" "$t1") ms"
small=$(list_ms --store "$W/small"); large=$(list_ms --store "$W/large")
echo "list --project P --limit 20: ${large} ms at $N, ${small} ms at 1000; ratio $(ratio "$large" "$small") (target: under 50 ms)"
mount_store "$W/large"
viamount=$(list_ms --mount "$W/mnt")
echo "list --project P --limit 20 through the mount: ${viamount} ms at $N; ratio to --store $(ratio "$viamount" "$large") (target: under 50 ms)"
t0=$(now); total=$(ls "$W/mnt/deployments" | wc -l); t1=$(now)
echo "ls deployments | wc -l = $total (expected $N) in $(ms "$t0" "$t1") ms; daemon RSS $(( $(rss_kb) / 1024 )) MiB"
expect=$("$B/tools/deployctl" --store "$W/large" list --project proj-003 --limit 1 --json | jq .total)
t0=$(now); count=$(ls "$W/mnt/projects/proj-003" | wc -l); t1=$(now)
echo "ls projects/proj-003 | wc -l = $count (expected $((expect + 2))) in $(ms "$t0" "$t1") ms; daemon RSS $(( $(rss_kb) / 1024 )) MiB (target: under 64 MiB)"
unmount_store
fi

if want 5; then
echo "== 5. read-back of a $READ_SIZE payload, warm and cold (best of 5) =="
head -c "$READ_SIZE" /dev/urandom > "$W/big.bin"
tar -C "$W" -cf "$W/read.tar" big.bin; rm "$W/big.bin"
mount_store "$W/s5"
cp "$W/read.tar" "$W/mnt/deploy/rd"
id=$(jq -r .deployment_id "$W/mnt/projects/rd/current/record.json")
blob=$(blob_of "$W/s5" "$(jq -r .payload_hash "$W/mnt/projects/rd/current/record.json")")
mount_passthrough "$blob"
names=(passthrough "deployments/<id>/payload" "deploy/<p>" "projects/<p>/current/payload")
paths=("$W/pt/blob" "$W/mnt/deployments/$id/payload" "$W/mnt/deploy/rd"
	"$W/mnt/projects/rd/current/payload")
for p in "${paths[@]}"; do
	cmp "$W/read.tar" "$p" || { echo "bench: $p reads wrong bytes" >&2; exit 1; }
done
rm "$W/read.tar"
for mode in warm cold; do
	times=(999999 999999 999999 999999)
	for _ in 1 2 3 4 5; do
		for k in 0 1 2 3; do
			# The mount's own pages go either way: deployfs keeps
			# a proven payload's pages between opens (the baseline
			# does not), and the read itself is what is timed.
			uncache "${paths[$k]}"
			if [ "$mode" = cold ]; then
				uncache "$blob"
			else
				cat "$blob" >/dev/null
			fi
			times[k]=$(best "${times[k]}" "$(read_s "${paths[$k]}")")
		done
	done
	echo "$mode: ${names[0]} ${times[0]}s"
	for k in 1 2 3; do
		echo "$mode: ${names[$k]} ${times[$k]}s; speed ratio $(ratio "${times[0]}" "${times[$k]}") (target: at least 0.90)"
	done
done
unmount_passthrough
unmount_store
rm -rf "$W/s5"
fi

if want 6; then
echo "== 6. rsync of a $RSYNC_SIZE plain tar, 7 bytes changed, vs cp of the whole file (best of 3) =="
mkdir "$W/src"
head -c "$RSYNC_SIZE" /dev/urandom > "$W/src/data.bin"
tar -C "$W/src" -cf "$W/app.tar" data.bin; rm -rf "$W/src"
middle=$(($(stat -c %s "$W/app.tar") / 2))
# change FILE ROUND — 7 new bytes inside the archive's data, and an mtime
# of its own (rsync's quick check compares whole seconds)
change() {
	printf '%07d' "$((RANDOM * 100 + $2))" |
		dd of="$1" bs=1 seek="$middle" conv=notrunc status=none
	touch -m -d "@$((1700000000 + RANDOM * 100 + $2))" "$1"
}
mount_store "$W/s6"
kinds=(whole delta inplace)
opts=("" "--no-whole-file" "--no-whole-file --inplace")
what=("rsync -a (whole file, as rsync copies locally)"
	"rsync -a --no-whole-file (delta, as over a network)"
	"rsync -a --no-whole-file --inplace")
mkdir "$W/local"
# rsync's own work: between two files in memory, when there is room.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SHM=$(mktemp -d /dev/shm/deployfs-bench.XXXXXX)
fi
for k in 0 1 2; do
	cp "$W/app.tar" "$W/${kinds[$k]}.tar"
	# shellcheck disable=SC2086
	rsync -a ${opts[$k]} "$W/${kinds[$k]}.tar" "$W/mnt/deploy/${kinds[$k]}"
	# shellcheck disable=SC2086
	rsync -a ${opts[$k]} "$W/${kinds[$k]}.tar" "$W/local/${kinds[$k]}"
	if [ -n "$SHM" ]; then
		cp "$W/app.tar" "$SHM/${kinds[$k]}.tar"
		# shellcheck disable=SC2086
		rsync -a ${opts[$k]} "$SHM/${kinds[$k]}.tar" "$SHM/${kinds[$k]}"
	fi
done
cp "$W/app.tar" "$W/full.tar"
cp "$W/full.tar" "$W/mnt/deploy/full"
rm "$W/app.tar"
base=999999; times=(999999 999999 999999); floor=(999999 999999 999999)
own=(999999 999999 999999)
for i in 1 2 3; do
	change "$W/full.tar" "$i"
	t0=$(now); cp "$W/full.tar" "$W/mnt/deploy/full"; t1=$(now)
	base=$(best "$base" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
	for k in 0 1 2; do
		f=$W/${kinds[$k]}.tar
		change "$f" "$i"
		t0=$(now)
		# shellcheck disable=SC2086
		rsync -a ${opts[$k]} "$f" "$W/mnt/deploy/${kinds[$k]}"
		t1=$(now)
		cmp "$f" "$W/mnt/deploy/${kinds[$k]}" ||
			{ echo "bench: ${what[$k]} deployed wrong bytes" >&2; exit 1; }
		times[k]=$(best "${times[k]}" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
		# rsync's own share: the same transfer to local disk, synced
		t0=$(now)
		# shellcheck disable=SC2086
		rsync -a ${opts[$k]} "$f" "$W/local/${kinds[$k]}"
		sync "$W/local/${kinds[$k]}"
		t1=$(now)
		floor[k]=$(best "${floor[k]}" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
		[ -n "$SHM" ] || continue
		change "$SHM/${kinds[$k]}.tar" "$i"
		t0=$(now)
		# shellcheck disable=SC2086
		rsync -a ${opts[$k]} "$SHM/${kinds[$k]}.tar" "$SHM/${kinds[$k]}"
		t1=$(now)
		own[k]=$(best "${own[k]}" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
	done
done
echo "cp of the whole file into deployfs: ${base}s"
for k in 0 1 2; do
	echo "${what[$k]}: ${times[$k]}s; ratio $(ratio "${times[$k]}" "$base") (target: at most 1.00); the same rsync to local disk + sync: ${floor[$k]}s, ratio $(ratio "${floor[$k]}" "$base")"
	[ -z "$SHM" ] ||
		echo "  the same rsync between two files in memory (its own work): ${own[$k]}s, ratio $(ratio "${own[$k]}" "$base")"
done
[ -z "$SHM" ] || rm -rf "$SHM"
SHM=
unmount_store
rm -rf "$W/s6" "$W/local" "$W"/*.tar
fi

if want 7; then
echo "== 7. daemon RSS while a 10 GiB payload deploys and reads back =="
size=10
avail=$(( $(df --output=avail -k "$W" | tail -n 1) >> 20 ))
if [ "$avail" -lt $((size + 4)) ]; then
	size=$((avail - 4))
	[ "$size" -ge 1 ] || { echo "bench: section 7 SKIPPED: only ${avail} GiB free" >&2; exit 1; }
	echo "bench: ONLY ${avail} GiB FREE: SECTION 7 SCALED DOWN TO ${size} GiB" >&2
fi
mount_store "$W/s7"
truncate -s "${size}G" "$W/huge.bin"
# peak_rss_while PID — the daemon's peak RSS (KiB) until PID ends
peak_rss_while() {
	local max=0 r
	while kill -0 "$1" 2>/dev/null; do
		r=$(rss_kb); [ "$r" -gt "$max" ] && max=$r; sleep 0.2
	done
	echo "$max"
}
tar -C "$W" -cf - huge.bin | cat > "$W/mnt/deploy/huge" &
WR=$!
up=$(peak_rss_while "$WR")
wait "$WR"
rm "$W/huge.bin"
t0=$(now)
cat "$W/mnt/deploy/huge" >/dev/null &
RD=$!
down=$(peak_rss_while "$RD")
wait "$RD"
t1=$(now)
echo "${size} GiB: peak RSS deploying $((up / 1024)) MiB, ratio $(ratio "$up" 65536); reading back ($(ms "$t0" "$t1") ms) $((down / 1024)) MiB, ratio $(ratio "$down" 65536) (target: under 1.00 of 64 MiB)"
unmount_store
rm -rf "$W/s7"
fi

if want 8; then
echo "== 8. PostgreSQL catalog: keyset pages at $N records =="
if tests/pg/cluster.sh start "$W/pg8" >/dev/null; then
	"$B/bench/bench_pg" "$(cat "$W/pg8/conninfo")" "$N" |
		sed 's/$/ (target: under 50 ms)/; 1s/ (target: under 50 ms)$//'
	tests/pg/cluster.sh stop "$W/pg8"
else
	echo "bench: no PostgreSQL: section 8 skipped"
fi
fi

if want 9; then
echo "== 9. many hosts: two daemons on one PostgreSQL catalog =="
PA= PB= PL=
stop_many() {
	local m p
	for m in ma mb ml; do
		fusermount3 -u "$W/$m" 2>/dev/null || fusermount3 -uz "$W/$m" 2>/dev/null || true
	done
	for p in $PA $PB $PL; do wait "$p" 2>/dev/null || true; done
	PA= PB= PL=
	tests/pg/cluster.sh stop "$W/pg" >/dev/null 2>&1 || true
}
trap 'stop_many; cleanup' EXIT
if tests/pg/cluster.sh start "$W/pg" >/dev/null; then
	CI=$(cat "$W/pg/conninfo")
	mkdir -p "$W/ma" "$W/mb" "$W/ml"
	"$B/fs/deployfs" -f -o "catalog=$CI,node=bench-a" "$W/sa" "$W/ma" 2>>"$W/daemon.err" &
	PA=$!
	"$B/fs/deployfs" -f -o "catalog=$CI,node=bench-b" "$W/sb" "$W/mb" 2>>"$W/daemon.err" &
	PB=$!
	"$B/fs/deployfs" -f "$W/sl" "$W/ml" 2>>"$W/daemon.err" &
	PL=$!
	for _ in $(seq 100); do
		mountpoint -q "$W/ma" && mountpoint -q "$W/mb" && mountpoint -q "$W/ml" && break
		sleep 0.1
	done
	# Visibility: from cp's return on a to the record listed on b.
	worst=0
	for i in 1 2 3 4 5; do
		head -c 65536 /dev/urandom >"$W/v.bin"
		tar -C "$W" -czf "$W/v.tgz" v.bin
		cp "$W/v.tgz" "$W/ma/deploy/vis"; t0=$(now)
		want=$(ls "$W/ma/deployments" | wc -l)
		while [ "$(ls "$W/mb/deployments" | wc -l)" -lt "$want" ]; do :; done
		t1=$(now); worst=$(awk -v a="$(ms "$t0" "$t1")" -v b="$worst" 'BEGIN{print (a>b)?a:b}')
	done
	echo "cross-host visibility (cp returned on a -> listed on b): worst of 5 ${worst} ms (target: under 1000 ms)"
	head -c 256M /dev/urandom >"$W/p.bin"
	tar -C "$W" -cf "$W/p.tar" p.bin; rm "$W/p.bin"
	mbs() { awk -v s="$(stat -c %s "$1")" -v a="$2" -v b="$3" 'BEGIN{printf "%.0f", s/1048576/(b-a)}'; }
	t0=$(now); cp "$W/p.tar" "$W/ml/deploy/big"; t1=$(now)
	lw=$(mbs "$W/p.tar" "$t0" "$t1")
	t0=$(now); cp "$W/p.tar" "$W/ma/deploy/big"; t1=$(now)
	pw=$(mbs "$W/p.tar" "$t0" "$t1")
	echo "payload write (256 MiB tar): ${pw} MB/s into PostgreSQL, ${lw} MB/s into LMDB + local blobs; ratio $(ratio "$pw" "$lw")"
	t0=$(now); cat "$W/ml/deploy/big" >/dev/null; t1=$(now)
	lr=$(mbs "$W/p.tar" "$t0" "$t1")
	t0=$(now); cat "$W/mb/deploy/big" >/dev/null; t1=$(now)
	pr=$(mbs "$W/p.tar" "$t0" "$t1")
	t0=$(now); cat "$W/mb/deploy/big" >/dev/null; t1=$(now)
	cr=$(mbs "$W/p.tar" "$t0" "$t1")
	echo "payload read on another host: ${pr} MB/s from PostgreSQL (cold), ${cr} MB/s from its cache, ${lr} MB/s from LMDB's store"
	stop_many
else
	echo "bench: no PostgreSQL: skipped"
fi
fi
