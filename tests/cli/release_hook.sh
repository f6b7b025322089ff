#!/bin/bash
# scripts/hooks/release.sh run directly, as deployfs would run it, on
# archives a check might have let through: a character device, a block
# device, a FIFO, a setuid file, a setgid file. Each is refused (exit 1,
# the entry named, nothing unpacked, `current` left alone); an ordinary
# archive is released with the hook's own owner and no special bits.
. "$(dirname "$0")/lib.sh" "$@"
HOOK=$(realpath "$(dirname "$0")/../../scripts/hooks/release.sh")
command -v python3 >/dev/null || fail "python3 is not installed"

ROOT=$T/srv/web
# mktar OUT KIND — a tar.gz with a README and one entry of KIND.
mktar() {
	python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
out, kind = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tf:
    def add(name, data=b"", **kw):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mode = kw.pop("mode", 0o644)
        ti.uid = ti.gid = 4242
        for k, v in kw.items():
            setattr(ti, k, v)
        tf.addfile(ti, io.BytesIO(data) if data else None)
    add("app/README", b"hello\n")
    add("app/bin", type=tarfile.DIRTYPE, mode=0o755)
    add("app/bin/run", b"#!/bin/sh\necho run\n", mode=0o755)
    if kind == "chr":
        add("app/evil-null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
    elif kind == "blk":
        add("app/evil-disk", type=tarfile.BLKTYPE, devmajor=8, devminor=0)
    elif kind == "fifo":
        add("app/evil-fifo", type=tarfile.FIFOTYPE)
    elif kind == "setuid":
        add("app/bin/evil-suid", b"#!/bin/sh\n", mode=0o4755)
    elif kind == "setgid":
        add("app/bin/evil-sgid", b"#!/bin/sh\n", mode=0o2755)
PY
}
# hook ID PAYLOAD — run the hook as deployfs does; sets RC, OUT, ERRTXT.
hook() {
	run env DEPLOYFS_ID="$1" DEPLOYFS_PROJECT=web DEPLOYFS_PAYLOAD="$2" \
		DEPLOYFS_SHA256=unused DEPLOYFS_STORE="$T/store" \
		DEPLOYFS_RELEASE_ROOT="$ROOT" sh "$HOOK" <"$2"
}

mkdir -p "$T/store"
mktar "$T/good.tgz" none
hook id-good "$T/good.tgz"
assert_eq "$RC" 0 "the ordinary archive (stderr: $ERRTXT)"
assert_eq "$(readlink "$ROOT/current")" releases/id-good "current after the ordinary archive"
assert_eq "$(cat "$ROOT/current/app/README")" hello "README released"
assert_eq "$(stat -c %u "$ROOT/current/app/bin/run")" "$(id -u)" "owner of a released file"
[ -x "$ROOT/current/app/bin/run" ] || fail "bin/run lost its execute bit"

for kind in chr blk fifo setuid setgid; do
	mktar "$T/$kind.tgz" "$kind"
	hook "id-$kind" "$T/$kind.tgz"
	[ "$RC" -ne 0 ] || fail "$kind: the hook accepted it"
	assert_match "$ERRTXT" "refused: (special file|setuid entry|setgid entry): .*evil" \
		"$kind: the refusal names the entry"
	[ ! -e "$ROOT/releases/id-$kind" ] || fail "$kind: a release directory was made"
	assert_eq "$(readlink "$ROOT/current")" releases/id-good "$kind: current"
	assert_eq "$(find "$ROOT" -name '.id-*')" "" "$kind: staging or listing left"
done
# A listing that misses everything (a tar whose -t lies): the scan of the
# unpacked tree still refuses the device and the FIFO, and setuid/setgid
# bits do not survive --no-same-permissions.
mkdir "$T/liar"
real_tar=$(command -v tar)
cat >"$T/liar/tar" <<EOF2
#!/bin/sh
case "\$1" in -t*) exit 0 ;; esac
exec "$real_tar" "\$@"
EOF2
chmod 755 "$T/liar/tar"
for kind in chr fifo; do
	PATH=$T/liar:$PATH hook "id-liar-$kind" "$T/$kind.tgz"
	[ "$RC" -ne 0 ] || fail "$kind past a lying listing: the hook accepted it"
	assert_match "$ERRTXT" "refused: special files or setuid/setgid bits unpacked: .*evil" \
		"$kind past a lying listing: the refusal names the file"
	[ ! -e "$ROOT/releases/id-liar-$kind" ] || fail "$kind past a lying listing: released"
	assert_eq "$(readlink "$ROOT/current")" releases/id-good "$kind past a lying listing: current"
done
for kind in setuid setgid; do
	PATH=$T/liar:$PATH hook "id-liar-$kind" "$T/$kind.tgz"
	assert_eq "$RC" 0 "$kind past a lying listing (stderr: $ERRTXT)"
	f=$(find "$ROOT/releases/id-liar-$kind" -name 'evil-*')
	[ -n "$f" ] || fail "$kind past a lying listing: the file was not unpacked"
	assert_eq "$(stat -c %a "$f")" 755 "$kind past a lying listing: mode of $f"
done
# Nothing special anywhere under the release root.
assert_eq "$(find "$ROOT" \( -type b -o -type c -o -type p -o -type s \
	-o \( ! -type d -perm /6000 \) \) -print)" "" "special files under $ROOT"
finish
