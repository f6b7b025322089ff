#!/bin/bash
# deployfs-gen run twice on one store: the payloads it stores the second
# time are there already, which is no error; both runs exit 0 and the
# store then holds the records of both.
. "$(dirname "$0")/lib.sh" "$@"

S=$T/store
run "$GEN" --store "$S" -n 10
assert_eq "$RC" 0 "first run (stderr: $ERRTXT)"
run "$GEN" --store "$S" -n 10
assert_eq "$RC" 0 "second run (stderr: $ERRTXT)"
assert_eq "$(find "$S/tmp" -type f | wc -l)" 0 "temp files left"
assert_eq "$("$CTL" --store "$S" --json list | jq .total)" 20 "records"
finish
