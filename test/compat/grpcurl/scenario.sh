#!/usr/bin/env bash
# grpcurl against the gRPC gateway, knowing nothing but what server reflection tells it: the
# services listed, Put through a follower and Get from the leader, a failed condition, a
# page of Range, a Txn, a Watch resumed from an index, and the standard health check.
# Needs REDRAFT_GRPC_LEADER and REDRAFT_GRPC_FOLLOWER (host:port); run.mjs sets them.
set -uo pipefail
: "${REDRAFT_GRPC_LEADER:?host:port of the leader}" "${REDRAFT_GRPC_FOLLOWER:?host:port of a follower}"

passed=0
failed=0
section=''

g() { grpcurl -plaintext -max-time 10 "$@" 2>&1; }
b64() { printf '%s' "$1" | base64 -w0; }

ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  printf 'FAIL [%s] %s\n' "$section" "$1"
  printf '  expected: %s\n' "$2"
  printf '  actual:   %s\n' "${3//$'\n'/ | }"
}
# expect DESCRIPTION EXPECTED ACTUAL
expect() { if [[ "$3" == "$2" ]]; then ok; else bad "$1" "$2" "$3"; fi; }
# expect_has DESCRIPTION NEEDLE ACTUAL: ACTUAL contains NEEDLE
expect_has() { if [[ "$3" == *"$2"* ]]; then ok; else bad "$1" "... $2 ..." "$3"; fi; }
begin() {
  section=$1
  echo "-- $section"
}
# field NAME JSON: the first string value of "NAME" in grpcurl's JSON output.
field() { sed -n "s/^ *\"$1\": \"\\([^\"]*\\)\".*/\\1/p" <<< "$2" | head -1; }

begin reflection
services=$(g "$REDRAFT_GRPC_FOLLOWER" list)
expect 'list services' $'grpc.health.v1.Health\nredraft.v1.Cluster\nredraft.v1.KV' "$services"
expect_has 'describe KV' 'rpc Watch ( .redraft.v1.WatchRequest ) returns ( stream .redraft.v1.WatchResponse );' \
  "$(g "$REDRAFT_GRPC_FOLLOWER" describe redraft.v1.KV)"
expect_has 'describe a message' 'uint64 ttl_ms = 4;' "$(g "$REDRAFT_GRPC_FOLLOWER" describe redraft.v1.PutRequest)"

begin put-get
put=$(g -d "{\"key\":\"$(b64 gc:k)\",\"value\":\"$(b64 hello)\"}" "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Put)
version=$(field version "$put")
if [[ "$version" =~ ^[0-9]+$ ]]; then ok; else bad 'Put through a follower returns a version' 'a number' "$put"; fi
get=$(g -d "{\"key\":\"$(b64 gc:k)\"}" "$REDRAFT_GRPC_LEADER" redraft.v1.KV/Get)
expect 'Get from the leader: the value' "$(b64 hello)" "$(field value "$get")"
expect 'Get from the leader: the version' "$version" "$(field version "$get")"
expect_has 'Get: found' '"found": true' "$get"
stale=$(g -d "{\"key\":\"$(b64 gc:none)\",\"consistency\":\"CONSISTENCY_STALE\"}" "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Get)
expect_has 'Get of a missing key' '"applied_index"' "$stale"
if [[ "$stale" == *'"found"'* ]]; then bad 'a missing key is not found' 'no "found": true' "$stale"; else ok; fi

begin conditions
exists=$(g -d "{\"key\":\"$(b64 gc:k)\",\"value\":\"$(b64 x)\",\"if_absent\":true}" "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Put)
expect_has 'Put ifAbsent on an existing key' 'Code: FailedPrecondition' "$exists"
stale=$(g -d "{\"key\":\"$(b64 gc:k)\",\"value\":\"$(b64 x)\",\"if_version\":\"$((version + 1000))\"}" "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Put)
expect_has 'Put ifVersion with a wrong version' 'Code: FailedPrecondition' "$stale"
bad_db=$(g -d '{"db":42}' "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Get)
expect_has 'an out-of-range db' 'Code: InvalidArgument' "$bad_db"

begin range
for i in 1 2 3; do g -d "{\"key\":\"$(b64 gc:r$i)\",\"value\":\"$(b64 v$i)\"}" "$REDRAFT_GRPC_LEADER" redraft.v1.KV/Put > /dev/null; done
page=$(g -d "{\"prefix\":\"$(b64 gc:r)\",\"limit\":2}" "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Range)
expect 'first page: two keys' "2" "$(grep -c '"key"' <<< "$page")"
token=$(field next_page_token "$page")
rest=$(g -d "{\"prefix\":\"$(b64 gc:r)\",\"limit\":2,\"page_token\":\"$token\"}" "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Range)
expect 'second page: the third key' "$(b64 gc:r3)" "$(field key "$rest")"

begin txn
txn=$(g -d "{\"compare\":[{\"key\":\"$(b64 gc:k)\",\"value\":\"$(b64 hello)\"}],\"success\":[{\"put\":{\"key\":\"$(b64 gc:t)\",\"value\":\"$(b64 yes)\"}},{\"get\":{\"key\":\"$(b64 gc:t)\"}}]}" "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Txn)
expect_has 'Txn: the comparison held' '"succeeded": true' "$txn"
expect_has 'Txn: its get sees its put' "\"value\": \"$(b64 yes)\"" "$txn"

begin watch
# From the version of the first Put: replays what happened since, then times out.
watch=$(g -max-time 3 -d "{\"prefix\":\"$(b64 gc:)\",\"start_index\":\"$version\"}" "$REDRAFT_GRPC_FOLLOWER" redraft.v1.KV/Watch)
expect_has 'Watch: created' '"created": true' "$watch"
expect_has 'Watch: replays the first Put' "\"key\": \"$(b64 gc:k)\"" "$watch"
expect_has 'Watch: replays the Txn' "\"key\": \"$(b64 gc:t)\"" "$watch"

begin health
for target in "$REDRAFT_GRPC_LEADER" "$REDRAFT_GRPC_FOLLOWER"; do
  expect "health of $target" $'{\n  "status": "SERVING"\n}' "$(g "$target" grpc.health.v1.Health/Check)"
done
expect 'health of the KV service' $'{\n  "status": "SERVING"\n}' \
  "$(g -d '{"service":"redraft.v1.KV"}' "$REDRAFT_GRPC_LEADER" grpc.health.v1.Health/Check)"

echo "grpcurl: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
