#!/bin/bash
# record.json says where a deploy came from: provenance.exe is the
# writer's executable, revision/ref/ci_url come from the writer's CI
# variables (DEPLOYFS_REVISION/REF win), note from DEPLOYFS_NOTE and
# ssh_client from SSH_CONNECTION; what is absent is null. rsync's
# receiver writes the bytes of a staging file: its environment counts.
#
# ssh_client is tested here with SSH_CONNECTION set by hand, as sshd sets it
# for `rsync -e ssh`; ssh_provenance.sh starts a real sshd.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
CTL=$(realpath "$2")
start_daemon

# env -i: nothing of the test's own environment leaks into the record.
clean() { env -i PATH="$PATH" "$@"; }

make_tgz "$T/app.tgz"
before=$(ids_all)
clean GITHUB_SHA=abc123 GITHUB_REF=refs/heads/main \
	GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=acme/web \
	GITHUB_RUN_ID=77 cp "$T/app.tgz" "$MNT/deploy/web"
id=$(new_id "$before")
check_success "$id" web "$T/app.tgz"
assert_eq "$(rec "$id" .provenance.revision)" abc123 "provenance.revision"
assert_eq "$(rec "$id" .provenance.ref)" refs/heads/main "provenance.ref"
assert_eq "$(rec "$id" .provenance.ci_url)" \
	https://github.com/acme/web/actions/runs/77 "provenance.ci_url"
assert_eq "$(rec "$id" .provenance.exe)" "$(realpath "$(command -v cp)")" "provenance.exe"
assert_eq "$(rec "$id" .provenance.ssh_client)" null "provenance.ssh_client"
assert_eq "$(rec "$id" .provenance.note)" null "provenance.note"
assert_eq "$(rec "$id" '.provenance | keys | length')" 6 "provenance fields"

# DEPLOYFS_* win over the CI's; SSH_CONNECTION names the client.
make_tgz "$T/app2.tgz"
before=$(ids_all)
clean CI_COMMIT_SHA=gitlab1 DEPLOYFS_REVISION=mine DEPLOYFS_REF=v2.0 \
	CI_COMMIT_REF_NAME=main DEPLOYFS_NOTE='hotfix for #12' \
	SSH_CONNECTION='127.0.0.1 5 127.0.0.1 22' \
	cp "$T/app2.tgz" "$MNT/deploy/web"
id2=$(new_id "$before")
assert_eq "$(rec "$id2" .provenance.revision)" mine "DEPLOYFS_REVISION wins"
assert_eq "$(rec "$id2" .provenance.ref)" v2.0 "DEPLOYFS_REF wins"
assert_eq "$(rec "$id2" .provenance.note)" "hotfix for #12" "provenance.note"
assert_eq "$(rec "$id2" .provenance.ssh_client)" 127.0.0.1 "provenance.ssh_client"
assert_eq "$(rec "$id2" .provenance.ci_url)" null "provenance.ci_url without one"

# Nothing set: every field but exe is null.
make_tgz "$T/app3.tgz"
before=$(ids_all)
clean cp "$T/app3.tgz" "$MNT/deploy/web"
id3=$(new_id "$before")
assert_eq "$(rec "$id3" '[.provenance[]] | map(select(. != null)) | length')" 1 \
	"provenance of a bare cp: exe only"

# rsync: a staging file written, then renamed onto the project.
make_tgz "$T/app4.tgz"
before=$(ids_all)
clean GIT_COMMIT=jenkins9 GIT_BRANCH=origin/rel BUILD_URL=https://ci.example/job/9/ \
	rsync "$T/app4.tgz" "$MNT/deploy/site"
id4=$(new_id "$before")
check_success "$id4" site "$T/app4.tgz"
assert_eq "$(rec "$id4" .provenance.revision)" jenkins9 "rsync: revision"
assert_eq "$(rec "$id4" .provenance.ref)" origin/rel "rsync: ref"
assert_eq "$(rec "$id4" .provenance.ci_url)" https://ci.example/job/9/ "rsync: ci_url"
assert_eq "$(rec "$id4" .provenance.exe)" "$(realpath "$(command -v rsync)")" "rsync: exe"

# deployctl shows them: show (the record) and list -o.
ctl() { "$CTL" --store "$STORE" "$@"; }
assert_eq "$(ctl show web@1 | jq -r .provenance.revision)" abc123 "show web@1"
run ctl list --project web -o NAME,REVISION,REF,SSH_CLIENT,NOTE
assert_eq "$RC" 0 "list -o provenance columns (stderr: $ERRTXT)"
assert_match "$(cat "$T/run.out")" 'web@2 +mine +v2\.0 +127\.0\.0\.1 +hotfix for #12' \
	"list -o: the row of web@2"
assert_match "$(cat "$T/run.out")" 'web@1 +abc123 +refs/heads/main +- +-' \
	"list -o: the row of web@1"
finish
