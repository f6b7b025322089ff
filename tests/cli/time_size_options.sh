#!/bin/bash
# --since/--until take relative and local times besides ISO 8601, and
# size options take suffixes (retention --max-bytes 10M).
. "$(dirname "$0")/lib.sh" "$@"
S=$T/s
"$GEN" --store "$S" -n 30 --days 300 >/dev/null
count() { "$CTL" --store "$S" --json list "$@" | jq .total; }

all=$(count)
assert_eq "$all" 30 "deployments"
assert_eq "$(count --since 1000d)" 30 "--since 1000d"
assert_eq "$(count --until 1000d)" 0 "--until 1000d"
assert_eq "$(count --since '1000 days ago')" 30 "--since '1000 days ago'"
for t in 1h 30m 45s 2d 1w yesterday today now 2026-11-29 '2026-11-29 10:00' \
	2026-11-29T10:00:00Z; do
	run "$CTL" --store "$S" list --since "$t"
	assert_eq "$RC" 0 "list --since '$t' (stderr: $ERRTXT)"
done
# Relative times and local dates agree with ISO 8601.
iso=$(date -u -d '150 days ago 00:00' +%Y-%m-%d)
assert_eq "$(count --since "$iso")" "$(count --since "${iso}T00:00:00Z")" \
	"--since a local date (TZ=UTC)"
assert_eq "$(count --until "$iso")" "$(count --until "${iso}T23:59:59.999Z")" \
	"--until a local date counts all of that day"
expect 2 "--since: 'soon' is not a date or time" "--since soon" "$CTL" --store "$S" list --since soon
expect 2 "--until: '1x' is not a date or time" "--until 1x" "$CTL" --store "$S" list --until 1x
expect 2 "--since: 'later' is not a date or time" "audit --since later" \
	"$CTL" --store "$S" audit --since later

rb() { "$CTL" --store "$S" --json retention "$@" | jq .max_bytes; }
assert_eq "$(rb --max-bytes 10M)" 10485760 "retention --max-bytes 10M"
assert_eq "$(rb --max-bytes 1.5G)" 1610612736 "retention --max-bytes 1.5G"
assert_eq "$(rb --max-bytes 4096)" 4096 "retention --max-bytes 4096"
assert_eq "$(rb --max-bytes 2KiB)" 2048 "retention --max-bytes 2KiB"
expect 2 "--max-bytes: '10Q' is not a size" "--max-bytes 10Q" \
	"$CTL" --store "$S" retention --max-bytes 10Q
expect 2 "--max-bytes: '1.5' is not a size" "--max-bytes 1.5" \
	"$CTL" --store "$S" retention --max-bytes 1.5
expect 2 "--max-bytes: '99999E' is too large" "--max-bytes 99999E" \
	"$CTL" --store "$S" retention --max-bytes 99999E
assert_eq "$(rb)" 2048 "the policy after refused changes"
finish
