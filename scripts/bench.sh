#!/bin/bash
# Benchmarks, reported as ratios against baselines measured in the same run
# (the machine is shared and noisy). Not part of the test suite.
#
#   scripts/bench.sh [N]     N: deployments in the history store (1000000)
#
# 1. cp throughput into the mount vs cp to local disk (1 GiB).
# 2. Daemon RSS while a 2 GiB upload streams.
# 3. A 1 GiB tar+gzip deploy with the full check vs cp to local disk
#    followed by tar tzf.
# 4. History at scale: deployctl list --project P --limit 20 on N records
#    vs on 1,000 records, and through the mount (newest/P) vs --store at
#    N; ls deployments | wc -l and ls projects/P | wc -l
#    counts, and the daemon's RSS meanwhile.
# 5. The PostgreSQL catalog on a throwaway cluster: keyset pages of 20,
#    newest first, for a large, a small and an absent project at N
#    records (the database side of list --project P --limit 20).
# 6. Two daemons on one PostgreSQL catalog: cross-host visibility
#    latency, payload write and read MB/s against the LMDB store.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
scripts/deps.sh --test
scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DDEPLOYFS_TESTS=OFF >/dev/null

B=$PWD/build
W=$(mktemp -d "${TMPDIR:-/var/tmp}/deployfs-bench.XXXXXX")
PID=
cleanup() {
	if [ -n "$PID" ]; then
		fusermount3 -u "$W/mnt" 2>/dev/null || fusermount3 -uz "$W/mnt" 2>/dev/null || true
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	tests/pg/cluster.sh stop "$W/pg" >/dev/null 2>&1 || true
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
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$PID/status"; }
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b-a)*1000}'; }

# best A B — the smaller of two numbers
best() { awk -v a="$1" -v b="$2" 'BEGIN{print (a<b)?a:b}'; }
# unique SRC DST — SRC plus a few random bytes after the archive's end, so
# that every round stores new bytes (no dedup) and stays a valid archive.
unique() { { cat "$1"; head -c 4096 /dev/urandom | gzip -c; } > "$2"; }

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

echo "== 2. daemon RSS during a 2 GiB upload =="
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
rm -rf "$W/s1" "$W/big.tar" "$W/round.tar" "$W/huge.bin"

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

echo "== 5. PostgreSQL catalog: keyset pages at $N records =="
cmake -S . -B build -DDEPLOYFS_TESTS=ON >/dev/null
cmake --build build -j2 --target bench_pg >/dev/null
if tests/pg/cluster.sh start "$W/pg" >/dev/null; then
	"$B/tests/pg/bench_pg" "$(cat "$W/pg/conninfo")" "$N" |
		sed 's/$/ (target: under 50 ms)/; 1s/ (target: under 50 ms)$//'
	tests/pg/cluster.sh stop "$W/pg"
else
	echo "bench: no PostgreSQL: skipped"
fi

echo "== 6. many hosts: two daemons on one PostgreSQL catalog =="
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
	mbs() { awk -v s="$(fsize "$1")" -v a="$2" -v b="$3" 'BEGIN{printf "%.0f", s/1048576/(b-a)}'; }
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
