#!/usr/bin/env bash
# curl against the REST gateway, as the README shows it: raw bytes in and out through a
# follower and the leader, JSON with base64, the error shape, a page of keys, a transaction,
# the SSE watch resumed with Last-Event-ID, the probes and the OpenAPI document.
# Needs REDRAFT_HTTP_LEADER and REDRAFT_HTTP_FOLLOWER (host:port); run.mjs sets them.
set -uo pipefail
: "${REDRAFT_HTTP_LEADER:?host:port of the leader}" "${REDRAFT_HTTP_FOLLOWER:?host:port of a follower}"
L="http://$REDRAFT_HTTP_LEADER"
F="http://$REDRAFT_HTTP_FOLLOWER"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
section=''

c() { curl -sS --max-time 10 "$@" 2>&1; }
b64() { printf '%s' "$1" | base64 -w0; }
ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  printf 'FAIL [%s] %s\n' "$section" "$1"
  printf '  expected: %s\n' "$2"
  printf '  actual:   %s\n' "${3//$'\n'/ | }"
}
expect() { if [[ "$3" == "$2" ]]; then ok; else bad "$1" "$2" "$3"; fi; }
expect_has() { if [[ "$3" == *"$2"* ]]; then ok; else bad "$1" "... $2 ..." "$3"; fi; }
begin() {
  section=$1
  echo "-- $section"
}

begin raw
printf 'line one\r\nline two\0end' > "$TMP/value"
expect_has 'PUT raw bytes through a follower' '"version":' \
  "$(c -X PUT -H 'content-type: application/octet-stream' --data-binary @"$TMP/value" "$F/v1/kv/cu/file")"
c -o "$TMP/back" "$L/v1/kv/cu/file" > /dev/null
if cmp -s "$TMP/value" "$TMP/back"; then ok; else bad 'GET raw bytes from the leader' "$(xxd < "$TMP/value")" "$(xxd < "$TMP/back")"; fi
expect 'GET raw: status and content type' '200 application/octet-stream' \
  "$(c -o /dev/null -w '%{http_code} %{content_type}' "$F/v1/kv/cu/file")"

begin json
expect_has 'PUT JSON with a TTL' '"version":' \
  "$(c -X PUT -H 'content-type: application/json' -d "{\"value\":\"$(b64 hi)\",\"ttlMs\":60000}" "$F/v1/kv/cu/json")"
expect_has 'GET as JSON' "\"value\":\"$(b64 hi)\"" "$(c -H 'accept: application/json' "$L/v1/kv/cu/json")"

begin errors
expect '404 in the error shape' '404 {"code":"NOT_FOUND","message":"no such key"}' \
  "$(c -w '%{http_code} ' -o "$TMP/body" "$L/v1/kv/cu/none"; cat "$TMP/body")"
expect_has 'a failed condition: 412' '412' \
  "$(c -o /dev/null -w '%{http_code}' -X PUT -H 'content-type: application/octet-stream' --data-binary x "$F/v1/kv/cu/file?ifAbsent=true")"
expect_has 'a wrong type in JSON: 400 BAD_REQUEST' '"code":"BAD_REQUEST"' \
  "$(c -X PUT -H 'content-type: application/json' -d '{"value":"aGk=","ttlMs":"soon"}' "$F/v1/kv/cu/x")"
expect_has "curl's default form content type: 415" '"code":"UNSUPPORTED_MEDIA_TYPE"' \
  "$(c -X PUT --data-binary x "$F/v1/kv/cu/x")"

begin range-txn
for i in 1 2 3; do c -X PUT -H 'content-type: application/octet-stream' --data-binary "v$i" "$L/v1/kv/cu/r$i" > /dev/null; done
page=$(c "$F/v1/kv?prefix=cu/r&limit=2")
expect_has 'a page of two' "\"key\":\"$(b64 cu/r2)\"" "$page"
token=$(sed -n 's/.*"nextPageToken":"\([^"]*\)".*/\1/p' <<< "$page")
expect_has 'the next page' "\"key\":\"$(b64 cu/r3)\"" "$(c "$F/v1/kv?prefix=cu/r&limit=2&pageToken=$token")"
expect_has 'a transaction' '"succeeded":true' \
  "$(c -X POST -H 'content-type: application/json' \
    -d "{\"compare\":[{\"key\":\"$(b64 cu/r1)\",\"value\":\"$(b64 v1)\"}],\"success\":[{\"delete\":{\"key\":\"$(b64 cu/r1)\"}}]}" \
    "$F/v1/txn")"

begin watch
first=$(c -X PUT -H 'content-type: application/octet-stream' --data-binary w1 "$L/v1/kv/cu/w1")
version=$(sed -n 's/.*"version":\([0-9]*\).*/\1/p' <<< "$first")
c -X PUT -H 'content-type: application/octet-stream' --data-binary w2 "$L/v1/kv/cu/w2" > /dev/null
# Resume after the first write: the stream replays the second, then curl gives up at 2 s.
events=$(curl -sS -N --max-time 2 -H "last-event-id: $version" "$F/v1/watch?prefix=cu/w" 2>/dev/null)
expect_has 'SSE: created' 'event: created' "$events"
expect_has 'SSE: the change after Last-Event-ID' "\"key\":\"$(b64 cu/w2)\"" "$events"
if [[ "$events" == *"$(b64 cu/w1)"* ]]; then bad 'SSE: nothing before Last-Event-ID' 'no cu/w1' "$events"; else ok; fi

begin operations
expect 'livez' '200' "$(c -o /dev/null -w '%{http_code}' "$F/livez")"
expect 'readyz' '200' "$(c -o /dev/null -w '%{http_code}' "$F/readyz")"
expect_has 'OpenAPI document' '"/v1/kv/{key}"' "$(c "$F/openapi.json")"

echo "curl: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
