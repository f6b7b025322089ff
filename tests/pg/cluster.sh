#!/bin/sh
# The throwaway PostgreSQL cluster of one test run.
#
#   tests/pg/cluster.sh start STATEDIR   initdb into a fresh temp directory,
#                                        start it, write STATEDIR/conninfo
#   tests/pg/cluster.sh stop STATEDIR    stop it and remove the directory
#   tests/pg/cluster.sh halt STATEDIR    stop the server only (a database
#                                        outage, for tests); resume starts
#                                        it again on the same data
#
# The server runs as an unprivileged user (nobody when started by root,
# since PostgreSQL refuses to run as root; the caller otherwise), listens on
# a Unix socket in its own directory only (no TCP), with fsync off: nothing
# in it outlives the run. STATEDIR/conninfo is a libpq connection string
# for the superuser "deployfs" (trust authentication on the socket).
# Exits 77 (skipped) with a loud message when PostgreSQL is not installed.
# Only a cluster recorded in STATEDIR is ever stopped.
set -eu

usage() {
	echo "usage: cluster.sh start|stop|halt|resume STATEDIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
state=$2

find_bindir() {
	if [ -n "${DEPLOYFS_PG_BINDIR:-}" ]; then
		if [ -x "$DEPLOYFS_PG_BINDIR/initdb" ]; then
			echo "$DEPLOYFS_PG_BINDIR"
		fi
		return
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [ -n "$d" ] && [ -x "$d/initdb" ]; then
			echo "$d"
			return
		fi
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ]; then
			echo "$d"
			return
		fi
	done
}

# Run "$@" as the cluster's user.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
			-- "$@"
	else
		"$@"
	fi
}

stop_recorded() {
	[ -f "$state/dir" ] || return 0
	dir=$(cat "$state/dir")
	bindir=$(cat "$state/bindir" 2>/dev/null || find_bindir)
	if [ -f "$dir/data/postmaster.pid" ] && [ -n "$bindir" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w \
			stop >/dev/null 2>&1 || true
	fi
	case "$dir" in
	*/dfs-pg.*) rm -rf "$dir" ;;
	esac
	rm -f "$state/dir" "$state/bindir" "$state/conninfo"
}

case "$cmd" in
start)
	mkdir -p "$state"
	# A run that died before its cleanup left its cluster behind.
	stop_recorded
	bindir=$(find_bindir || true)
	if [ -z "$bindir" ]; then
		echo "##########################################################"
		echo "# SKIPPED: PostgreSQL is not installed (no initdb found):  #"
		echo "# the tests of the PostgreSQL catalog do not run.          #"
		echo "# scripts/deps.sh --test installs postgresql-15.           #"
		echo "##########################################################"
		exit 77
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/dfs-pg.XXXXXX")
	chmod 755 "$dir"
	echo "$dir" >"$state/dir"
	echo "$bindir" >"$state/bindir"
	[ "$(id -u)" -eq 0 ] && chown nobody "$dir"
	if ! as_owner "$bindir/initdb" -D "$dir/data" -U deployfs \
		--auth=trust -E UTF8 --no-locale -N >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		stop_recorded
		exit 1
	fi
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 150
shared_buffers = 32MB
CONF
	if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-w -t 60 start >/dev/null; then
		cat "$dir/server.log" >&2
		stop_recorded
		exit 1
	fi
	echo "host=$dir port=5432 user=deployfs dbname=postgres" \
		>"$state/conninfo"
	echo "cluster: started in $dir ($bindir)"
	;;
stop)
	stop_recorded
	;;
halt | resume)
	[ -f "$state/dir" ] || { echo "cluster: none in $state" >&2; exit 1; }
	dir=$(cat "$state/dir")
	bindir=$(cat "$state/bindir")
	if [ "$cmd" = halt ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	else
		as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
			-w -t 60 start >/dev/null
	fi
	;;
*)
	usage
	;;
esac
