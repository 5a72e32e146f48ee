#!/usr/bin/env bash
# redis-benchmark, briefly, against a follower (writes forwarded) and the leader: both tests
# must report a non-zero rate, and nothing may be reported as an error.
# Needs REDRAFT_LEADER and REDRAFT_FOLLOWER (host:port); run.mjs sets them.
set -uo pipefail
: "${REDRAFT_LEADER:?host:port of the leader}" "${REDRAFT_FOLLOWER:?host:port of a follower}"

passed=0
failed=0
check() { # DESCRIPTION CONDITION-RESULT DETAIL
  if [[ $2 == 0 ]]; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    printf 'FAIL %s\n  %s\n' "$1" "$3"
  fi
}

for target in "$REDRAFT_FOLLOWER" "$REDRAFT_LEADER"; do
  # redis-benchmark retries forever if the server goes away: bound it.
  out=$(timeout 60 redis-benchmark -h "${target%:*}" -p "${target##*:}" -t set,get -n 2000 -q 2>&1)
  status=$?
  # -q prints progress lines separated by \r; keep the final ones.
  final=$(tr '\r' '\n' <<< "$out" | grep -E '^(SET|GET): [0-9.]+ requests per second')
  echo "$target:"
  sed 's/^/  /' <<< "$final"
  check "redis-benchmark against $target exits 0" "$status" "exit status $status"
  for t in SET GET; do
    rps=$(grep -E "^$t: " <<< "$final" | grep -oE '[0-9.]+ requests per second' | cut -d' ' -f1)
    ok=1
    [[ -n $rps ]] && awk -v r="$rps" 'BEGIN { exit !(r > 0) }' && ok=0
    check "$t rate against $target is non-zero" "$ok" "got '${rps:-nothing}'"
  done
  errors=$(tr '\r' '\n' <<< "$out" | grep -iE 'error|ERR |WRONGTYPE|MOVED|TRYAGAIN|CLUSTERDOWN|refused' || true)
  [[ -z $errors ]]
  check "no errors against $target" "$?" "$(head -5 <<< "$errors")"
done

# The benchmark's SETs really happened: its key holds its 3-byte payload on the leader.
len=$(redis-cli -h "${REDRAFT_LEADER%:*}" -p "${REDRAFT_LEADER##*:}" STRLEN key:__rand_int__ 2>&1)
[[ $len == 3 ]]
check 'the benchmark key holds 3 bytes' "$?" "STRLEN key:__rand_int__ -> $len"

echo "redis-benchmark: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
