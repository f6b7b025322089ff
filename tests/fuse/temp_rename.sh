#!/bin/bash
# DESIGN "The tree": any name starting with a dot in deploy/ is a staging
# file; renaming it onto deploy/<p> deploys <p> and returns the verdict as
# an errno. Such a file whose name does not name its project has no record
# until the rename (started_at is still its first byte), and leaves
# nothing when removed or never renamed.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
PY=$(command -v python3) || fail "python3 is not installed"
start_daemon

declare -A payload_of
# renamed WHAT FILE CMD... — CMD must exit 0 and make exactly one new
# success record of web with payload FILE; earlier payloads still read.
renamed() {
	local what=$1 f=$2 before id n
	shift 2
	before=$(ids_all)
	n=$(ids_of web | wc -l)
	run "$@"
	[ "$RC" -eq 0 ] || fail "$what: exit $RC: $ERRTXT"
	id=$(new_id "$before")
	check_success "$id" web "$f"
	assert_eq "$(ids_of web | wc -l)" $((n + 1)) "$what: records of web"
	check_current web "$id" "$f"
	payload_of[$id]=$f
	for id in "${!payload_of[@]}"; do
		assert_cmp "$MNT/deployments/$id/payload" "${payload_of[$id]}" \
			"$what: earlier payload $id"
	done
	ID=$(new_id "$before")
}
no_temp_files() {
	assert_eq "$(find "$STORE/tmp" -type f | wc -l)" 0 "$1: files in STORE/tmp"
}

for i in 1 2 3 4; do make_tgz "$T/app$i.tgz" 256; done
deploy_ok "$T/app1.tgz" web
payload_of[$ID]=$T/app1.tgz

# Python's tempfile.mkstemp(dir=deploy, prefix=".") then os.replace.
cat >"$T/mkstemp.py" <<'EOF'
import os, sys, tempfile, time
src, deploy, project = sys.argv[1:4]
fd, tmp = tempfile.mkstemp(dir=deploy, prefix=".")
with open(src, "rb") as f:
    data = f.read()
half = len(data) // 2
os.write(fd, data[:half])
# No record yet: the project is only known at the rename.
print(len(os.listdir(os.path.join(deploy, "..", "status", "pending"))))
time.sleep(1.1)
os.write(fd, data[half:])
os.close(fd)
os.replace(tmp, os.path.join(deploy, project))
EOF
t0=$(now_ms)
renamed "mkstemp + os.replace" "$T/app2.tgz" \
	"$PY" "$T/mkstemp.py" "$T/app2.tgz" "$MNT/deploy" web
assert_eq "$(cat "$T/run.out")" 0 "pending records while the temp file streamed"
started=$(date -d "$(rec "$ID" .started_at)" +%s%3N)
completed=$(date -d "$(rec "$ID" .completed_at)" +%s%3N)
[ "$started" -ge $((t0 - 1000)) ] && [ $((completed - started)) -ge 1000 ] ||
	fail "started_at $(rec "$ID" .started_at) is not the first byte's time" \
		"(completed_at $(rec "$ID" .completed_at))"
[ -s "$MNT/deployments/$ID/manifest" ] || fail "no manifest for the renamed deploy"
grep -q 'started by' "$MNT/deployments/$ID/log" || fail "no log for the renamed deploy"
no_temp_files "after os.replace"

# Ansible's atomic move: .ansible_tmp<random><name>, written, then renamed.
cp "$T/app3.tgz" "$MNT/deploy/.ansible_tmpk2j3web" || fail "cp to .ansible_tmpk2j3web"
ls -a "$MNT/deploy" | grep -qx .ansible_tmpk2j3web || fail "staging file not listed"
renamed "ansible rename" "$T/app3.tgz" mv "$MNT/deploy/.ansible_tmpk2j3web" "$MNT/deploy/web"
[ ! -e "$MNT/deploy/.ansible_tmpk2j3web" ] || fail "staging file left after rename"

# An editor-style name works the same.
cp "$T/app4.tgz" "$MNT/deploy/.#web"
renamed "rename of .#web" "$T/app4.tgz" mv "$MNT/deploy/.#web" "$MNT/deploy/web"

# The verdict is the rename's errno; the staging file stays.
before=$(ids_all)
echo "not an archive" >"$MNT/deploy/.tmpbad123"
expect_fail 'Bad message' "rename of a non-archive" \
	"$PY" -c 'import os, sys; os.replace(sys.argv[1], sys.argv[2])' \
	"$MNT/deploy/.tmpbad123" "$MNT/deploy/web"
id=$(new_id "$before")
check_failed "$id" web not_an_archive
[ -e "$MNT/deploy/.tmpbad123" ] || fail "a failed rename removed the staging file"
check_current web "$ID" "$T/app4.tgz"
rm "$MNT/deploy/.tmpbad123"

# Removed, or never renamed: no record and no temp file.
before=$(ids_all)
cp "$T/app1.tgz" "$MNT/deploy/.tmpgone12"
rm "$MNT/deploy/.tmpgone12"
cp "$T/app1.tgz" "$MNT/deploy/.tmpleft12"
assert_eq "$(ids_all)" "$before" "records of unrenamed staging files"
stop_daemon
no_temp_files "after a stop with a staging file left"
start_daemon
assert_eq "$(ids_all)" "$before" "records after a restart"
[ ! -e "$MNT/deploy/.tmpleft12" ] || fail "a staging file survived a restart"
for id in "${!payload_of[@]}"; do
	assert_cmp "$MNT/deployments/$id/payload" "${payload_of[$id]}" "payload $id"
done
finish
