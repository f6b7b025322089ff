# tests/fuse/pglib.sh — sourced by mount tests of the shared catalog,
# after lib.sh: two daemons ("hosts" a and b: two stores, two mounts) on
# one PostgreSQL database, a fresh one per test on the run's throwaway
# cluster (tests/pg/cluster.sh, the ctest fixture "pg"; its conninfo in
# $DEPLOYFS_PG_CONNINFO_FILE). Exit 77 (skip) without a cluster.
#
#   start_host_a [OPTION...]   lib.sh's daemon ($STORE, $MNT) on the catalog
#   start_host_b [OPTION...]   a second one ($STORE_B, $MNT_B)
#   stop_host_b, kill_host_b   unmount and stop it / SIGKILL it
#   CATALOG                    the conninfo of this test's database

if [ -z "${DEPLOYFS_PG_CONNINFO_FILE:-}" ] || [ ! -s "$DEPLOYFS_PG_CONNINFO_FILE" ]; then
	printf '\n*** SKIP: no PostgreSQL test cluster: %s not run ***\n\n' \
		"$TEST_NAME" >&2
	exit 77
fi
command -v psql >/dev/null || fail "psql is not installed (postgresql-client)"
PG_ADMIN=$(cat "$DEPLOYFS_PG_CONNINFO_FILE")
PG_DB=t_$(basename "$T" | tr -c 'a-zA-Z0-9\n' _ | tr 'A-Z' 'a-z')
psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB TEMPLATE template0" ||
	fail "cannot create database $PG_DB"
at_exit "psql -q '$PG_ADMIN' -c 'DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)' >/dev/null 2>&1 || true"
CATALOG="$PG_ADMIN dbname=$PG_DB"

STORE_B=$T/store_b
MNT_B=$T/mnt_b
mkdir "$MNT_B"
BPID=
B_ERR=$T/daemon_b.err
: >"$B_ERR"

start_host_a() { start_daemon -o "catalog=$CATALOG,node=host-a" "$@"; }

start_host_b() {
	env --default-signal=INT "$DEPLOYFS" -f -o "catalog=$CATALOG,node=host-b" \
		"$@" "$STORE_B" "$MNT_B" </dev/null >/dev/null 2>>"$B_ERR" &
	BPID=$!
	EXTRA_MNTS+=("$MNT_B")
	wait_until 10 mountpoint -q "$MNT_B" ||
		{ cat "$B_ERR" >&2; fail "host b did not mount $MNT_B"; }
	at_exit stop_host_b
}

stop_host_b() {
	unmount_fuse "$MNT_B"
	[ -n "$BPID" ] || return 0
	wait_until 5 eval '! child_running $BPID' ||
		{ kill -TERM "$BPID" 2>/dev/null || true; }
	wait "$BPID" 2>/dev/null || true
	BPID=
}

kill_host_b() {
	[ -n "$BPID" ] && child_running "$BPID" || fail "kill_host_b: not running"
	kill -KILL "$BPID"
	wait "$BPID" 2>/dev/null || true
	BPID=
	fusermount3 -uz "$MNT_B" 2>/dev/null || umount -l "$MNT_B" 2>/dev/null || true
}

# rec_b ID JQ-FILTER — a field of the record as host b shows it.
rec_b() { jq -r "$2" "$MNT_B/deployments/$1/record.json"; }
