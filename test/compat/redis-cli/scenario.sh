#!/usr/bin/env bash
# The compatibility scenario (../SCENARIO.md) with redis-cli, plus a `--pipe` mass insert.
# Needs REDRAFT_LEADER and REDRAFT_FOLLOWER (host:port); run.mjs sets them.
# Replies are compared in redis-cli's --no-raw form: "text", (nil), (integer) 5, (error) ...
set -uo pipefail
: "${REDRAFT_LEADER:?host:port of the leader}" "${REDRAFT_FOLLOWER:?host:port of a follower}"

F=(-h "${REDRAFT_FOLLOWER%:*}" -p "${REDRAFT_FOLLOWER##*:}")
L=(-h "${REDRAFT_LEADER%:*}" -p "${REDRAFT_LEADER##*:}")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
section=''

f() { redis-cli --no-raw "${F[@]}" "$@" 2>&1; }
l() { redis-cli --no-raw "${L[@]}" "$@" 2>&1; }

ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  printf 'FAIL [%s] %s\n' "$section" "$1"
  printf '  expected: %s\n' "$2"
  printf '  actual:   %s\n' "${3//$'\n'/ | }"
}
# expect DESCRIPTION EXPECTED ACTUAL
expect() { if [[ "$3" == "$2" ]]; then ok; else bad "$1" "$2" "$3"; fi; }
# expect_int_in DESCRIPTION LOW HIGH ACTUAL  (ACTUAL as "(integer) N")
expect_int_in() {
  local n=${4#(integer) }
  if [[ "$4" == "(integer) "* && "$n" =~ ^-?[0-9]+$ && $n -ge $2 && $n -le $3 ]]; then ok; else
    bad "$1" "(integer) in $2..$3" "$4"
  fi
}
begin() {
  section=$1
  echo "-- $section"
}

begin strings
expect 'SET on follower' 'OK' "$(f SET s:k hello)"
expect 'GET on leader' '"hello"' "$(l GET s:k)"
expect 'SET ... GET returns the old value' '"hello"' "$(f SET s:k world GET)"
expect 'SET NX on existing key' '(nil)' "$(f SET s:k x NX)"
expect 'SET NX on new key' 'OK' "$(f SET s:nx v NX)"
expect 'SET XX on existing key' 'OK' "$(f SET s:k again XX)"
expect 'SET XX on missing key' '(nil)' "$(f SET s:xx v XX)"
expect 'GET of a key SET XX did not create' '(nil)' "$(l GET s:xx)"
expect 'GET after SET XX' '"again"' "$(l GET s:k)"
expect 'INCR' '(integer) 1' "$(f INCR s:n)"
expect 'INCRBY' '(integer) 42' "$(f INCRBY s:n 41)"
expect 'INCRBYFLOAT' '"42.5"' "$(f INCRBYFLOAT s:n 0.5)"
expect 'INCRBYFLOAT new key' '"10.5"' "$(f INCRBYFLOAT s:f 10.5)"
expect 'INCRBYFLOAT 0.1' '"10.6"' "$(f INCRBYFLOAT s:f 0.1)"
expect 'INCR on a float' '(error) ERR value is not an integer or out of range' "$(f INCR s:n)"
expect 'APPEND new' '(integer) 5' "$(f APPEND s:a Hello)"
expect 'APPEND' '(integer) 11' "$(f APPEND s:a ' World')"
expect 'MSET' 'OK' "$(f MSET s:m1 a s:m2 b s:m3 c)"
expect 'MGET' $'1) "a"\n2) "b"\n3) (nil)\n4) "c"' "$(l MGET s:m1 s:m2 s:none s:m3)"
expect 'GETRANGE' '"Hello"' "$(l GETRANGE s:a 0 4)"
expect 'GETRANGE negative' '"World"' "$(l GETRANGE s:a -5 -1)"
expect 'SETRANGE' '(integer) 11' "$(f SETRANGE s:a 6 Redis)"
expect 'GET after SETRANGE' '"Hello Redis"' "$(l GET s:a)"
expect 'STRLEN' '(integer) 11' "$(l STRLEN s:a)"
expect 'STRLEN missing' '(integer) 0' "$(l STRLEN s:none)"
expect 'SETRANGE pads with zero bytes' '(integer) 4' "$(f SETRANGE s:pad 3 x)"
expect 'GET padded' '"\x00\x00\x00x"' "$(l GET s:pad)"

begin 'px expiry'
expect 'SET PX 300' 'OK' "$(f SET t:px v PX 300)"
expect 'GET before expiry' '"v"' "$(l GET t:px)"
sleep 0.5
expect 'GET on leader after 500 ms' '(nil)' "$(l GET t:px)"
expect 'GET on follower after 500 ms' '(nil)' "$(f GET t:px)"

begin ttl
expect 'SET EX 100' 'OK' "$(f SET t:k v EX 100)"
expect_int_in 'TTL' 90 100 "$(l TTL t:k)"
expect_int_in 'PTTL' 90000 100000 "$(l PTTL t:k)"
expect 'PERSIST' '(integer) 1' "$(f PERSIST t:k)"
expect 'TTL after PERSIST' '(integer) -1' "$(l TTL t:k)"
expect 'PERSIST again' '(integer) 0' "$(f PERSIST t:k)"
expect 'EXPIRE' '(integer) 1' "$(f EXPIRE t:k 50)"
expect_int_in 'TTL after EXPIRE' 40 50 "$(l TTL t:k)"
expect 'TTL missing key' '(integer) -2' "$(l TTL t:none)"
expect 'PTTL missing key' '(integer) -2' "$(l PTTL t:none)"
expect 'EXPIRE missing key' '(integer) 0' "$(f EXPIRE t:none 10)"

begin hashes
expect 'HSET two fields' '(integer) 2' "$(f HSET h:k f1 v1 f2 v2)"
expect 'HSET existing field' '(integer) 0' "$(f HSET h:k f1 v1b)"
expect 'HGET' '"v1b"' "$(l HGET h:k f1)"
expect 'HGET missing field' '(nil)' "$(l HGET h:k nofield)"
# Field order is not specified: sort the pairs.
hgetall=$(l HGETALL h:k | sed 's/^[0-9]*) //' | paste - - | sort | tr '\n' ' ')
expect 'HGETALL' $'"f1"\t"v1b" "f2"\t"v2" ' "$hgetall"
expect 'HINCRBY new field' '(integer) 5' "$(f HINCRBY h:k n 5)"
expect 'HINCRBY negative' '(integer) 3' "$(f HINCRBY h:k n -2)"
expect 'HDEL' '(integer) 1' "$(f HDEL h:k f1 nofield)"
expect 'HLEN' '(integer) 2' "$(l HLEN h:k)"
expect 'HGETALL missing key' '(empty array)' "$(l HGETALL h:none)"

begin transactions
expect 'MULTI/EXEC' $'OK\nQUEUED\nQUEUED\nQUEUED\n1) OK\n2) (integer) 2\n3) "2"' \
  "$(printf 'MULTI\nSET x:k 1\nINCR x:k\nGET x:k\nEXEC\n' | f)"
expect 'WATCH, unchanged key: EXEC runs' $'OK\nOK\nQUEUED\n1) OK' \
  "$(printf 'WATCH x:w2\nMULTI\nSET x:w2 ok\nEXEC\n' | f)"
expect 'GET after the watched transaction' '"ok"' "$(l GET x:w2)"
# The watched key is changed by another connection between MULTI and EXEC: the session's
# stdin waits until redis-cli has printed QUEUED (line-buffered by stdbuf) before going on.
out="$TMP/watch.out"
{
  printf 'WATCH x:w\nMULTI\nSET x:w mine\n'
  for _ in $(seq 100); do
    grep -q QUEUED "$out" 2>/dev/null && break
    sleep 0.05
  done
  l SET x:w theirs > "$TMP/other.out"
  printf 'EXEC\n'
} | stdbuf -oL redis-cli --no-raw "${F[@]}" > "$out" 2>&1
expect 'the other connection SET the watched key' 'OK' "$(cat "$TMP/other.out")"
expect 'WATCH, key changed: EXEC aborts (nil)' $'OK\nOK\nQUEUED\n(nil)' "$(cat "$out")"
expect 'the aborted SET did not happen' '"theirs"' "$(l GET x:w)"

begin 'pipeline (--pipe)'
# 1000 SETs as one stream of RESP commands, on the follower.
for i in $(seq 1000); do
  k="p:$i" v="v-$i"
  printf '*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' "${#k}" "$k" "${#v}" "$v"
done > "$TMP/set.resp"
pipe_out=$(redis-cli "${F[@]}" --pipe < "$TMP/set.resp" 2>&1)
expect '--pipe 1000 SETs' 'errors: 0, replies: 1000' "$(grep -o 'errors: [0-9]*, replies: [0-9]*' <<< "$pipe_out")"
# And the 1000 GETs back from the leader, in one session.
seq 1000 | sed 's/^/GET p:/' > "$TMP/get.txt"
seq 1000 | sed 's/.*/"v-&"/' > "$TMP/get.expected"
l < "$TMP/get.txt" > "$TMP/get.out"
expect '1000 GETs on the leader' '' "$(diff "$TMP/get.expected" "$TMP/get.out" | head -5)"
# A larger mass insert, the way the Redis docs show it (RESP on stdin), into db 2 so it does
# not disturb the rest. Sent to the leader: through a follower, a much deeper pipeline gets
# TRYAGAIN for the commands queued longer than the forwarding timeout (see README.md).
for i in $(seq 5000); do
  printf '*3\r\n$3\r\nSET\r\n$%d\r\nmass:%d\r\n$%d\r\n%d\r\n' $((5 + ${#i})) "$i" "${#i}" "$i"
done > "$TMP/mass.resp"
pipe_out=$(redis-cli "${L[@]}" -n 2 --pipe < "$TMP/mass.resp" 2>&1)
expect '--pipe 5000 SETs' 'errors: 0, replies: 5000' "$(grep -o 'errors: [0-9]*, replies: [0-9]*' <<< "$pipe_out")"
expect 'a mass-inserted key, read on a follower' '"1234"' "$(f -n 2 GET mass:1234)"
expect 'the last mass-inserted key' '"5000"' "$(f -n 2 GET mass:5000)"

begin leader
leader=$(f LEADER)
expect_int_in 'LEADER 1st element: the id' 1 3 "$(sed -n 1p <<< "$leader" | sed 's/^1) //')"
expect 'LEADER 2nd element: the leader RESP address' "2) \"$REDRAFT_LEADER\"" "$(sed -n 2p <<< "$leader")"

begin select
expect 'SELECT 1, SET, GET' $'OK\nOK\n"one"' "$(printf 'SELECT 1\nSET d:k one\nGET d:k\n' | f)"
expect 'db 0 does not see it' '(nil)' "$(l GET d:k)"
expect 'db 1 does (-n 1)' '"one"' "$(l -n 1 GET d:k)"

begin errors
expect 'HSET' '(integer) 1' "$(f HSET e:h f v)"
expect 'GET on a hash' '(error) WRONGTYPE Operation against a key holding the wrong kind of value' \
  "$(f GET e:h)"
expect 'SET' 'OK' "$(f SET e:s v)"
expect 'HGET on a string' '(error) WRONGTYPE Operation against a key holding the wrong kind of value' \
  "$(f HGET e:s f)"
expect 'GET without a key' $'(error) ERR wrong number of arguments for \'get\' command\nPONG' \
  "$(printf 'GET\nPING\n' | f)"

echo "redis-cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
