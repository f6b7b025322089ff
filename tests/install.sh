#!/bin/bash
# tests/install.sh BUILD_DIR VERSION — what `cmake --install` and the .deb
# hold, run from where they were put: both programs' --version, both man
# pages through man -l, the unit, the bash completion, the hooks; then
# cpack's package lists the same files and depends on fuse3 and the
# libraries. Label "install"; needs no FUSE.
set -Eeuo pipefail
export LC_ALL=C

fail() {
	printf '[install] FAIL: %s\n' "$*" >&2
	exit 1
}
[ $# -eq 2 ] || fail "usage: $0 BUILD_DIR VERSION"
B=$(realpath "$1")
V=$2
for tool in cmake cpack dpkg-deb man; do
	command -v "$tool" >/dev/null ||
		fail "$tool is not installed (scripts/deps.sh --test)"
done
T=$(mktemp -d "${TMPDIR:-/var/tmp}/deployfs-install.XXXXXX")
trap 'rm -rf "$T"' EXIT

# --- cmake --install into a DESTDIR --------------------------------------
DESTDIR=$T/root cmake --install "$B" --prefix /usr >"$T/install.out" ||
	fail "cmake --install failed: $(cat "$T/install.out")"
R=$T/root/usr
FILES="sbin/deployfs bin/deployctl share/man/man8/deployfs.8
	share/man/man1/deployctl.1 lib/systemd/system/deployfs@.service
	share/bash-completion/completions/deployctl
	share/deployfs/hooks/release.sh share/deployfs/deployfs.conf"
for f in $FILES; do
	[ -f "$R/$f" ] || fail "not installed: usr/$f"
done
for f in sbin/deployfs bin/deployctl share/deployfs/hooks/release.sh; do
	[ -x "$R/$f" ] || fail "installed but not executable: usr/$f"
done

# --- --version: "deployfs X.Y.Z" alone, from the project version ---------
for p in sbin/deployfs bin/deployctl; do
	out=$("$R/$p" --version) || fail "$p --version exits $?"
	[ "$out" = "deployfs $V" ] ||
		fail "$p --version printed '$out', expected 'deployfs $V'"
done

# --- the man pages, formatted without a warning --------------------------
render() { # PAGE — the page as man shows it, on one long line per tag
	MANWIDTH=200 MANPAGER=cat man --warnings -l "$1" 2>"$T/man.err" ||
		fail "man -l $1 failed: $(cat "$T/man.err")"
	[ ! -s "$T/man.err" ] || fail "man -l $1 warns: $(cat "$T/man.err")"
}
for page in man8/deployfs.8 man1/deployctl.1; do
	render "$R/share/man/$page" >"$T/page.txt"
	for section in NAME SYNOPSIS DESCRIPTION OPTIONS FILES "EXIT STATUS" \
		EXAMPLES "SEE ALSO"; do
		grep -qx "$section" "$T/page.txt" ||
			fail "$page has no $section section"
	done
done
render "$R/share/man/man8/deployfs.8" >"$T/deployfs.txt"
for opt in map_size= hook= hook_timeout= hook_wait nosuid,nodev \
	fuse.deployfs deployfs@.service READY=1; do
	grep -qF -- "$opt" "$T/deployfs.txt" || fail "deployfs(8) lacks $opt"
done

# has_word FILE WORD — WORD appears in FILE not as part of a longer option
# or name (--mount is not --mountpoint, -o not -old).
has_word() {
	grep -qE -- "(^|[^A-Za-z0-9_-])$(sed 's/[.]/\\./g' <<<"$2")([^A-Za-z0-9_-]|\$)" "$1"
}
# Every -o option of deployfs --help (deployfs's own and libfuse's) is in
# deployfs(8).
"$R/sbin/deployfs" --help >"$T/deployfs.help" 2>&1 || true
fuse_opts=$(grep -oE -- '-o [a-z_]+' "$T/deployfs.help" | cut -c4- | sort -u)
[ "$(printf '%s\n' "$fuse_opts" | wc -l)" -ge 10 ] ||
	fail "cannot read the -o options of deployfs --help: $fuse_opts"
for o in $fuse_opts; do
	has_word "$T/deployfs.txt" "$o" || fail "deployfs(8) lacks -o $o"
done
# So is every error code core/record.h names, and every field of the
# record's provenance.
for w in not_an_archive truncated_archive corrupt_archive unsafe_path \
	unsafe_entry too_large no_space io_error no_memory write_error \
	hook_failed hook_timeout interrupted aborted version provenance exe \
	ssh_client revision ref ci_url note user.pinned newest/ 1777; do
	has_word "$T/deployfs.txt" "$w" || fail "deployfs(8) lacks '$w'"
done

# Every command of deployctl --help has an entry in deployctl(1) and
# completes: the page and the completion follow the program.
commands=$("$R/bin/deployctl" --help | awk '
	/^commands:/ { on = 1; next }
	on && /^$/ { exit }
	on && /^  [a-z]/ {
		print $1
		for (i = 2; i < NF; i++) if ($i == "/") print $(i + 1)
	}')
[ "$(printf '%s\n' "$commands" | wc -l)" -ge 10 ] ||
	fail "cannot read the commands of deployctl --help: $commands"
render "$R/share/man/man1/deployctl.1" >"$T/deployctl.txt"
for c in $commands; do
	grep -qE "^       $c( |\$)" "$T/deployctl.txt" ||
		fail "deployctl(1) has no entry for '$c'"
done
# Every option of deployctl --help and of each command's --help, and every
# column a command's --help lists, is in deployctl(1).
options_of() { # HELP-FILE — the options it names (--long, -x), one a line
	grep -oE -- '(^|[ [|(/])(--[a-z][a-z-]*|-[a-z])([^a-z-]|$)' "$1" |
		grep -oE -- '--?[a-z][a-z-]*' | sort -u
}
columns_of() { # HELP-FILE — the names of its "columns:" list
	awk '/^columns:/ { on = 1; next } on && /^  [A-Z]/ { print $1 }' "$1"
}
"$R/bin/deployctl" --help >"$T/help.main"
for o in $(options_of "$T/help.main"); do
	has_word "$T/deployctl.txt" "$o" || fail "deployctl(1) lacks $o"
done
for c in $commands; do
	"$R/bin/deployctl" "$c" --help >"$T/help.$c" ||
		fail "deployctl $c --help exits $?"
	for o in $(options_of "$T/help.$c"); do
		has_word "$T/deployctl.txt" "$o" ||
			fail "deployctl(1) lacks $o (of $c --help)"
	done
	for col in $(columns_of "$T/help.$c"); do
		has_word "$T/deployctl.txt" "$col" ||
			fail "deployctl(1) lacks the $c column $col"
	done
done

# --- bash completion, with nothing but bash ------------------------------
complete_words() { # WORD... — what completing the last WORD offers
	bash --norc --noprofile -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_deployctl
		printf "%s\n" "${COMPREPLY[@]}" | sort' \
		complete "$R/share/bash-completion/completions/deployctl" "$@"
}
got=$(complete_words deployctl "")
for c in $commands; do
	grep -qx -- "$c" <<<"$got" || fail "completion lacks command '$c': $got"
done
# Each command completes the options its --help names, and -o the
# columns it lists.
got=$(complete_words deployctl -)
for c in $commands; do
	got+=$'\n'$(complete_words deployctl "$c" -)
done
for o in $(options_of "$T/help.main"); do
	grep -qx -- "$o" <<<"$got" || fail "completion never offers $o"
done
for c in $commands; do
	got=$(complete_words deployctl "$c" -)
	for o in $(options_of "$T/help.$c"); do
		case $o in
		-o | --output) [ "$c" = payload ] || [ "$c" = list ] ||
			[ "$c" = audit ] || continue ;;
		esac
		grep -qx -- "$o" <<<"$got" ||
			fail "completion of '$c -' lacks $o: $(tr '\n' ' ' <<<"$got")"
	done
	[ -z "$(columns_of "$T/help.$c")" ] && continue
	got=$(complete_words deployctl "$c" -o "")
	for col in $(columns_of "$T/help.$c"); do
		grep -qx -- "$col" <<<"$got" ||
			fail "completion of '$c -o' lacks $col: $(tr '\n' ' ' <<<"$got")"
	done
done
[ "$(complete_words deployctl list -o NAME,ST | tr '\n' ' ')" = \
	"NAME,STARTED NAME,STATUS " ] ||
	fail "completion of -o NAME,ST: $(complete_words deployctl list -o NAME,ST)"
[ "$(complete_words deployctl audit -o +u | tr '\n' ' ')" = "+UID +USER " ] ||
	fail "completion of audit -o +u: $(complete_words deployctl audit -o +u)"
[ "$(complete_words deployctl --v)" = --version ] ||
	fail "completion of --v: $(complete_words deployctl --v)"
[ "$(complete_words deployctl list --st | tr '\n' ' ')" = "--status --store " ] ||
	fail "completion of list --st: $(complete_words deployctl list --st)"
[ "$(complete_words deployctl list --status "" | tr '\n' ' ')" = \
	"failed pending success " ] ||
	fail "completion of --status: $(complete_words deployctl list --status "")"
[ "$(complete_words deployctl --json gc --d)" = --dry-run ] ||
	fail "completion of gc --d: $(complete_words deployctl --json gc --d)"
mkdir -p "$T/fake/projects/web" "$T/fake/projects/api"
got=$(DEPLOYFS_MOUNT=$T/fake complete_words deployctl rollback "" | tr '\n' ' ')
[ "$got" = "api web " ] || fail "completion of rollback's project: '$got'"
got=$(complete_words deployctl push --mount "$T/fake" w)
[ "$got" = web ] || fail "completion of push's project with --mount: '$got'"
got=$(complete_words deployctl show --mount "$T/fake" w | tr '\n' ' ')
[ "$got" = "web@current web@latest " ] || fail "completion of show's name: '$got'"
got=$(complete_words deployctl project rm --mount "$T/fake" a)
[ "$got" = api ] || fail "completion of project rm's project: '$got'"

# --- the unit names the installed daemon ---------------------------------
unit=$R/lib/systemd/system/deployfs@.service
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
grep -q '^ExecStart=/usr/sbin/deployfs -f ' "$unit" ||
	fail "the unit does not run /usr/sbin/deployfs -f: $(grep Exec "$unit")"
grep -q '^EnvironmentFile=/etc/deployfs/%i.conf' "$unit" ||
	fail "the unit reads no /etc/deployfs/%i.conf"
for v in DEPLOYFS_STORE DEPLOYFS_MOUNT DEPLOYFS_ARGS; do
	grep -q "^$v=" "$R/share/deployfs/deployfs.conf" ||
		fail "the example configuration does not set $v"
	grep -q "\\\$[{]*$v" "$unit" || fail "the unit does not use \$$v"
done
if command -v systemd-analyze >/dev/null; then
	# Parse it as an instance (the binary need not be installed for that).
	cp "$unit" "$T/deployfs@test.service"
	systemd-analyze verify --man=no "$T/deployfs@test.service" \
		>"$T/verify.out" 2>&1 || true
	! grep -iE 'parse|unknown|invalid|bad' "$T/verify.out" ||
		fail "systemd-analyze verify objects to the unit"
fi

# --- the .deb --------------------------------------------------------------
cpack --config "$B/CPackConfig.cmake" -B "$T/pkg" >"$T/cpack.out" 2>&1 ||
	fail "cpack failed: $(tail -n 20 "$T/cpack.out")"
deb=$(ls "$T/pkg"/deployfs_"$V"_*.deb 2>/dev/null) ||
	fail "cpack made no deployfs_${V}_*.deb: $(ls "$T/pkg")"
dpkg-deb -c "$deb" | awk '{ print $NF }' >"$T/deb.list"
for f in $FILES; do
	grep -qx "./usr/$f" "$T/deb.list" || fail "the .deb lacks /usr/$f"
done
depends=$(dpkg-deb -f "$deb" Depends)
for d in fuse3 libfuse3 liblmdb libsystemd; do
	grep -q "\\b$d" <<<"$depends" || fail "the .deb does not depend on $d: $depends"
done
dpkg-deb -x "$deb" "$T/x"
for p in sbin/deployfs bin/deployctl; do
	out=$("$T/x/usr/$p" --version) || fail "the .deb's $p --version exits $?"
	[ "$out" = "deployfs $V" ] || fail "the .deb's $p --version printed '$out'"
done
grep -q '^ExecStart=/usr/sbin/deployfs -f ' \
	"$T/x/usr/lib/systemd/system/deployfs@.service" ||
	fail "the .deb's unit does not run /usr/sbin/deployfs"
echo "[install] PASS"
