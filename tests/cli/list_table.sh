#!/bin/bash
# deployctl list and audit print a header and aligned columns, chosen
# with -o (unknown ones are bad usage, --help lists them), and keep them
# aligned across the pages a long listing is printed in.
. "$(dirname "$0")/lib.sh" "$@"
S=$T/s
"$GEN" --store "$S" -n 2300 --projects 3 --days 100 >/dev/null

"$CTL" --store "$S" list >"$T/list.txt"
assert_eq "$(head -n 1 "$T/list.txt" | tr -s ' ')" \
	"NAME STATUS MARKS AGE SIZE USER PACKAGE ERROR" "the default header"
assert_eq "$(wc -l <"$T/list.txt")" 2301 "lines of list (a header and 2300 rows)"
assert_eq "$(grep -c '^NAME ' "$T/list.txt")" 1 "headers in three pages of rows"
# Aligned: STATUS starts in the same column on every line, every page.
assert_eq "$(awk '{ print index($0, $2) }' "$T/list.txt" | sort -u | wc -l)" 1 \
	"columns where STATUS starts"
assert_match "$(sed -n 2p "$T/list.txt")" '^proj-00[0-2]@[0-9]+ +(success|failed) ' "a row"
assert_match "$(grep -m1 ' success ' "$T/list.txt")" ' [0-9.]+[KMG] ' "a human size"
assert_match "$(sed -n 2p "$T/list.txt")" ' (sec|min|hours?|days?|weeks?|months?) ago ' "an age"
assert_match "$(cat "$T/list.txt")" ' current ' "a current mark"

run "$CTL" --store "$S" list --limit 3 -o id,version,revision,ssh_client
assert_eq "$RC" 0 "list -o lower-case names (stderr: $ERRTXT)"
assert_eq "$(head -n 1 <<<"$OUT" | tr -s ' ')" "ID VERSION REVISION SSH_CLIENT" "-o header"
assert_eq "$(wc -l <<<"$OUT")" 4 "lines of list --limit 3"
run "$CTL" --store "$S" list --limit 1 -o +PROJECT
assert_eq "$(head -n 1 <<<"$OUT" | tr -s ' ')" \
	"NAME STATUS MARKS AGE SIZE USER PACKAGE ERROR PROJECT" "-o +PROJECT"
expect 2 "unknown column 'BOGUS'" "-o BOGUS" "$CTL" --store "$S" list -o NAME,BOGUS
assert_eq "$OUT" "" "output of a refused list"
run "$CTL" --store "$S" list --help
assert_eq "$RC" 0 "list --help"
for col in NAME MARKS PACKAGE EXE SSH_CLIENT REVISION REF CI_URL NOTE; do
	assert_match "$OUT" "
  $col " "list --help lists $col"
done

# --json: the full records, ids and all.
run "$CTL" --store "$S" --json list --limit 2
assert_eq "$(jq -r '.deployments[0].provenance | keys | join(",")' <<<"$OUT")" \
	"ci_url,exe,note,ref,revision,ssh_client" "provenance in --json"

# audit: the same kind of table.
"$CTL" --store "$S" audit >"$T/audit.txt"
assert_eq "$(head -n 1 "$T/audit.txt" | tr -s ' ')" "TIME SEQ ACTION NAME USER COMMAND" \
	"audit's header"
assert_eq "$(grep -c '^TIME ' "$T/audit.txt")" 1 "audit headers"
assert_match "$(sed -n 2p "$T/audit.txt")" ' created +proj-00[0-2]@1 ' "audit's first row"
run "$CTL" --store "$S" audit -o SEQ,ACTION,ID --project proj-001
assert_eq "$(head -n 1 <<<"$OUT" | tr -s ' ' | sed 's/^ //')" "SEQ ACTION ID" "audit -o"
expect 2 "unknown column 'SIZE'" "audit -o SIZE" "$CTL" --store "$S" audit -o SIZE
finish
