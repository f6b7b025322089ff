# tests/fuse/pglib.sh — sourced by mount tests of the shared catalog,
# after lib.sh: two daemons ("hosts" a and b: two stores, two mounts) on
# one PostgreSQL database, a fresh one per test on the run's throwaway
# cluster (tests/pg/cluster.sh, the ctest fixture "pg"; its conninfo in
# $DEPLOYFS_PG_CONNINFO_FILE). Exit 77 (skip) without a cluster.
#
#   start_host_a [OPTION...]   lib.sh's daemon ($STORE, $MNT) on the catalog
#   start_host_b [OPTION...]   a second one ($STORE_B, $MNT_B; start_host B)
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

# Extra hosts, each a daemon of its own on the catalog: host X (a letter)
# has its store $STORE_X, its mount $MNT_X, its daemon's stderr in $X_ERR
# and its pid in $XPID while it runs.
#
#   new_host X                       make its directories
#   start_host X NODE [OPTION...]    start it as node NODE
#   stop_host X, kill_host X         unmount and stop it / SIGKILL it
new_host() {
	local x=${1,,}
	local -n store=STORE_$1 mnt=MNT_$1 err=$1_ERR pid=$1PID
	store=$T/store_$x
	mnt=$T/mnt_$x
	err=$T/daemon_$x.err
	pid=
	mkdir "$mnt"
	: >"$err"
}

start_host() {
	local x=$1 node=$2
	local -n store=STORE_$1 mnt=MNT_$1 err=$1_ERR pid=$1PID
	shift 2
	env --default-signal=INT "$DEPLOYFS" -f -o "catalog=$CATALOG,node=$node" \
		"$@" "$store" "$mnt" </dev/null >/dev/null 2>>"$err" &
	pid=$!
	EXTRA_MNTS+=("$mnt")
	wait_until 10 mountpoint -q "$mnt" ||
		{ cat "$err" >&2; fail "host $node did not mount $mnt"; }
	at_exit "stop_host $x"
}

stop_host() {
	local -n mnt=MNT_$1 pid=$1PID
	unmount_fuse "$mnt"
	[ -n "$pid" ] || return 0
	wait_until 5 eval "! child_running $pid" ||
		{ kill -TERM "$pid" 2>/dev/null || true; }
	wait "$pid" 2>/dev/null || true
	pid=
}

kill_host() {
	local -n mnt=MNT_$1 pid=$1PID
	[ -n "$pid" ] && child_running "$pid" || fail "kill_host $1: not running"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	fusermount3 -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
}

start_host_a() { start_daemon -o "catalog=$CATALOG,node=host-a" "$@"; }

new_host B
start_host_b() { start_host B host-b "$@"; }
stop_host_b() { stop_host B; }
kill_host_b() { kill_host B; }

# rec_b ID JQ-FILTER — a field of the record as host b shows it.
rec_b() { jq -r "$2" "$MNT_B/deployments/$1/record.json"; }
