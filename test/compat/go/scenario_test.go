// The compatibility scenario (../SCENARIO.md) with go-redis v9, over RESP3 (go-redis's
// default, HELLO 3) and RESP2. F is a follower, L the leader; run.mjs passes their addresses
// as REDRAFT_FOLLOWER and REDRAFT_LEADER.
package compat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

func addr(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set: run this through test/compat/run.mjs", name)
	}
	return v
}

func client(t *testing.T, envVar string, protocol, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         addr(t, envVar),
		Protocol:     protocol,
		DB:           db,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// check fails the test (and goes on) when got differs from want.
func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}

// must fails the test now on an unexpected error.
func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func checkErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("%s: got error %v, want %q", what, err, want)
	}
}

func inRange(t *testing.T, what string, d, lo, hi time.Duration) {
	t.Helper()
	if d < lo || d > hi {
		t.Errorf("%s: got %v, want %v..%v", what, d, lo, hi)
	}
}

func TestScenario(t *testing.T) {
	for _, protocol := range []int{3, 2} {
		t.Run(fmt.Sprintf("resp%d", protocol), func(t *testing.T) {
			f := client(t, "REDRAFT_FOLLOWER", protocol, 0)
			l := client(t, "REDRAFT_LEADER", protocol, 0)
			p := fmt.Sprintf("go%d:", protocol)
			ctx := context.Background()

			t.Run("protocol", func(t *testing.T) {
				info := must[string](t, "CLIENT INFO")(f.Do(ctx, "CLIENT", "INFO").Text())
				if !strings.Contains(info, fmt.Sprintf(" resp=%d ", protocol)) {
					t.Errorf("CLIENT INFO does not say resp=%d: %s", protocol, info)
				}
			})
			t.Run("strings", func(t *testing.T) { strs(t, ctx, f, l, p+"s:") })
			t.Run("px expiry", func(t *testing.T) { pxExpiry(t, ctx, f, l, p+"t:px") })
			t.Run("ttl", func(t *testing.T) { ttl(t, ctx, f, l, p+"t:") })
			t.Run("hashes", func(t *testing.T) { hashes(t, ctx, f, l, p+"h:") })
			t.Run("transactions", func(t *testing.T) { transactions(t, ctx, f, l, p+"x:") })
			t.Run("pipeline", func(t *testing.T) { pipeline(t, ctx, f, l, p+"p:") })
			t.Run("leader", func(t *testing.T) { leader(t, ctx, f) })
			t.Run("select", func(t *testing.T) { selectDB(t, ctx, protocol, l, p+"d:k") })
			t.Run("errors", func(t *testing.T) { errorReplies(t, ctx, f, p+"e:") })
		})
	}
}

func strs(t *testing.T, ctx context.Context, f, l *redis.Client, k string) {
	check(t, "SET", must[string](t, "SET")(f.Set(ctx, k+"k", "hello", 0).Result()), "OK")
	check(t, "GET on leader", must[string](t, "GET")(l.Get(ctx, k+"k").Result()), "hello")
	check(t, "SET GET", must[string](t, "SET GET")(f.SetArgs(ctx, k+"k", "world", redis.SetArgs{Get: true}).Result()), "hello")
	check(t, "SET NX existing", must[bool](t, "SETNX")(f.SetNX(ctx, k+"k", "x", 0).Result()), false)
	check(t, "SET NX new", must[bool](t, "SETNX")(f.SetNX(ctx, k+"nx", "v", 0).Result()), true)
	check(t, "SET XX existing", must[bool](t, "SETXX")(f.SetXX(ctx, k+"k", "again", 0).Result()), true)
	check(t, "SET XX missing", must[bool](t, "SETXX")(f.SetXX(ctx, k+"xx", "v", 0).Result()), false)
	_, err := l.Get(ctx, k+"xx").Result()
	check(t, "GET missing is redis.Nil", err, redis.Nil)
	check(t, "GET after XX", must[string](t, "GET")(l.Get(ctx, k+"k").Result()), "again")
	check(t, "INCR", must[int64](t, "INCR")(f.Incr(ctx, k+"n").Result()), int64(1))
	check(t, "INCRBY", must[int64](t, "INCRBY")(f.IncrBy(ctx, k+"n", 41).Result()), int64(42))
	check(t, "INCRBYFLOAT", must[float64](t, "INCRBYFLOAT")(f.IncrByFloat(ctx, k+"n", 0.5).Result()), 42.5)
	check(t, "INCRBYFLOAT new", must[float64](t, "INCRBYFLOAT")(f.IncrByFloat(ctx, k+"f", 10.5).Result()), 10.5)
	check(t, "INCRBYFLOAT 0.1", must[float64](t, "INCRBYFLOAT")(f.IncrByFloat(ctx, k+"f", 0.1).Result()), 10.6)
	checkErr(t, "INCR on a float", f.Incr(ctx, k+"n").Err(), "ERR value is not an integer or out of range")
	check(t, "APPEND new", must[int64](t, "APPEND")(f.Append(ctx, k+"a", "Hello").Result()), int64(5))
	check(t, "APPEND", must[int64](t, "APPEND")(f.Append(ctx, k+"a", " World").Result()), int64(11))
	check(t, "MSET", must[string](t, "MSET")(f.MSet(ctx, k+"m1", "a", k+"m2", "b", k+"m3", "c").Result()), "OK")
	check(t, "MGET", must[[]any](t, "MGET")(l.MGet(ctx, k+"m1", k+"m2", k+"none", k+"m3").Result()), []any{"a", "b", nil, "c"})
	check(t, "GETRANGE", must[string](t, "GETRANGE")(l.GetRange(ctx, k+"a", 0, 4).Result()), "Hello")
	check(t, "GETRANGE negative", must[string](t, "GETRANGE")(l.GetRange(ctx, k+"a", -5, -1).Result()), "World")
	check(t, "SETRANGE", must[int64](t, "SETRANGE")(f.SetRange(ctx, k+"a", 6, "Redis").Result()), int64(11))
	check(t, "GET after SETRANGE", must[string](t, "GET")(l.Get(ctx, k+"a").Result()), "Hello Redis")
	check(t, "STRLEN", must[int64](t, "STRLEN")(l.StrLen(ctx, k+"a").Result()), int64(11))
	check(t, "STRLEN missing", must[int64](t, "STRLEN")(l.StrLen(ctx, k+"none").Result()), int64(0))
	check(t, "SETRANGE padding", must[int64](t, "SETRANGE")(f.SetRange(ctx, k+"pad", 3, "x").Result()), int64(4))
	check(t, "GET padded", must[string](t, "GET")(l.Get(ctx, k+"pad").Result()), "\x00\x00\x00x")
}

func pxExpiry(t *testing.T, ctx context.Context, f, l *redis.Client, key string) {
	check(t, "SET PX", must[string](t, "SET PX")(f.Set(ctx, key, "v", 300*time.Millisecond).Result()), "OK")
	check(t, "GET before expiry", must[string](t, "GET")(l.Get(ctx, key).Result()), "v")
	time.Sleep(500 * time.Millisecond)
	check(t, "GET on leader after 500 ms", l.Get(ctx, key).Err(), redis.Nil)
	check(t, "GET on follower after 500 ms", f.Get(ctx, key).Err(), redis.Nil)
}

func ttl(t *testing.T, ctx context.Context, f, l *redis.Client, k string) {
	key, none := k+"k", k+"none"
	check(t, "SET EX", must[string](t, "SET EX")(f.Set(ctx, key, "v", 100*time.Second).Result()), "OK")
	inRange(t, "TTL", must[time.Duration](t, "TTL")(l.TTL(ctx, key).Result()), 90*time.Second, 100*time.Second)
	inRange(t, "PTTL", must[time.Duration](t, "PTTL")(l.PTTL(ctx, key).Result()), 90*time.Second, 100*time.Second)
	check(t, "PERSIST", must[bool](t, "PERSIST")(f.Persist(ctx, key).Result()), true)
	// go-redis reports TTL's -1 and -2 as durations of -1 and -2 nanoseconds.
	check(t, "TTL after PERSIST", must[time.Duration](t, "TTL")(l.TTL(ctx, key).Result()), time.Duration(-1))
	check(t, "PERSIST again", must[bool](t, "PERSIST")(f.Persist(ctx, key).Result()), false)
	check(t, "EXPIRE", must[bool](t, "EXPIRE")(f.Expire(ctx, key, 50*time.Second).Result()), true)
	inRange(t, "TTL after EXPIRE", must[time.Duration](t, "TTL")(l.TTL(ctx, key).Result()), 40*time.Second, 50*time.Second)
	check(t, "TTL missing", must[time.Duration](t, "TTL")(l.TTL(ctx, none).Result()), time.Duration(-2))
	check(t, "PTTL missing", must[time.Duration](t, "PTTL")(l.PTTL(ctx, none).Result()), time.Duration(-2))
	check(t, "EXPIRE missing", must[bool](t, "EXPIRE")(f.Expire(ctx, none, 10*time.Second).Result()), false)
}

func hashes(t *testing.T, ctx context.Context, f, l *redis.Client, k string) {
	key := k + "k"
	check(t, "HSET two", must[int64](t, "HSET")(f.HSet(ctx, key, "f1", "v1", "f2", "v2").Result()), int64(2))
	check(t, "HSET existing", must[int64](t, "HSET")(f.HSet(ctx, key, "f1", "v1b").Result()), int64(0))
	check(t, "HGET", must[string](t, "HGET")(l.HGet(ctx, key, "f1").Result()), "v1b")
	check(t, "HGET missing field", l.HGet(ctx, key, "nofield").Err(), redis.Nil)
	check(t, "HGETALL", must[map[string]string](t, "HGETALL")(l.HGetAll(ctx, key).Result()), map[string]string{"f1": "v1b", "f2": "v2"})
	check(t, "HINCRBY", must[int64](t, "HINCRBY")(f.HIncrBy(ctx, key, "n", 5).Result()), int64(5))
	check(t, "HINCRBY negative", must[int64](t, "HINCRBY")(f.HIncrBy(ctx, key, "n", -2).Result()), int64(3))
	check(t, "HDEL", must[int64](t, "HDEL")(f.HDel(ctx, key, "f1", "nofield").Result()), int64(1))
	check(t, "HLEN", must[int64](t, "HLEN")(l.HLen(ctx, key).Result()), int64(2))
	check(t, "HGETALL missing", must[map[string]string](t, "HGETALL")(l.HGetAll(ctx, k+"none").Result()), map[string]string{})
}

func transactions(t *testing.T, ctx context.Context, f, l *redis.Client, k string) {
	// MULTI/EXEC.
	var incr *redis.IntCmd
	var get *redis.StringCmd
	cmds, err := f.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, k+"k", "1", 0)
		incr = p.Incr(ctx, k+"k")
		get = p.Get(ctx, k+"k")
		return nil
	})
	if err != nil {
		t.Fatalf("MULTI/EXEC: %v", err)
	}
	check(t, "EXEC replies", len(cmds), 3)
	check(t, "INCR in EXEC", incr.Val(), int64(2))
	check(t, "GET in EXEC", get.Val(), "2")

	// WATCH on a key nobody changes: the transaction commits.
	err = f.Watch(ctx, func(tx *redis.Tx) error {
		if err := tx.Get(ctx, k+"w2").Err(); err != redis.Nil {
			return fmt.Errorf("GET while watching: %v", err)
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k+"w2", "ok", 0)
			return nil
		})
		return err
	}, k+"w2")
	check(t, "WATCH unchanged key", err, nil)
	check(t, "GET after the watched transaction", must[string](t, "GET")(l.Get(ctx, k+"w2").Result()), "ok")

	// WATCH on a key another connection changes: EXEC aborts (TxFailedErr).
	err = f.Watch(ctx, func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k+"w", "mine", 0)
			// Runs before the queued commands are sent; the key is already watched.
			return l.Set(ctx, k+"w", "theirs", 0).Err()
		})
		return err
	}, k+"w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Errorf("WATCH changed key: got %v, want redis.TxFailedErr", err)
	}
	check(t, "the aborted SET did not happen", must[string](t, "GET")(l.Get(ctx, k+"w").Result()), "theirs")

	// The same abort as raw commands on one connection: EXEC answers nil.
	conn := f.Conn()
	defer conn.Close()
	check(t, "WATCH", conn.Do(ctx, "WATCH", k+"raw").Err(), nil)
	check(t, "MULTI", conn.Do(ctx, "MULTI").Err(), nil)
	check(t, "queued SET", must[any](t, "SET")(conn.Do(ctx, "SET", k+"raw", "mine").Result()), any("QUEUED"))
	check(t, "the other SET", l.Set(ctx, k+"raw", "theirs", 0).Err(), nil)
	check(t, "EXEC is nil", conn.Do(ctx, "EXEC").Err(), redis.Nil)
	check(t, "GET after the aborted EXEC", must[string](t, "GET")(l.Get(ctx, k+"raw").Result()), "theirs")
}

func pipeline(t *testing.T, ctx context.Context, f, l *redis.Client, k string) {
	p := f.Pipeline()
	for i := 0; i < 1000; i++ {
		p.Set(ctx, fmt.Sprintf("%s%d", k, i), fmt.Sprintf("v-%d", i), 0)
	}
	cmds, err := p.Exec(ctx)
	if err != nil {
		t.Fatalf("pipelined SETs: %v", err)
	}
	for _, c := range cmds {
		if s, err := c.(*redis.StatusCmd).Result(); s != "OK" || err != nil {
			t.Fatalf("a pipelined SET: %q %v", s, err)
		}
	}
	p = l.Pipeline()
	gets := make([]*redis.StringCmd, 1000)
	for i := range gets {
		gets[i] = p.Get(ctx, fmt.Sprintf("%s%d", k, i))
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatalf("pipelined GETs: %v", err)
	}
	for i, g := range gets {
		if g.Val() != fmt.Sprintf("v-%d", i) {
			t.Fatalf("GET %s%d: got %q", k, i, g.Val())
		}
	}
}

func leader(t *testing.T, ctx context.Context, f *redis.Client) {
	reply := must[[]any](t, "LEADER")(f.Do(ctx, "LEADER").Slice())
	if len(reply) < 2 {
		t.Fatalf("LEADER: %#v", reply)
	}
	a, ok := reply[1].(string)
	if !ok || !regexp.MustCompile(`^[^:]+:\d+$`).MatchString(a) {
		t.Fatalf("LEADER 2nd element is not host:port: %#v", reply[1])
	}
	check(t, "LEADER address", a, os.Getenv("REDRAFT_LEADER"))
}

func selectDB(t *testing.T, ctx context.Context, protocol int, l *redis.Client, key string) {
	db1 := client(t, "REDRAFT_FOLLOWER", protocol, 1)
	check(t, "SET in db 1", db1.Set(ctx, key, "one", 0).Err(), nil)
	check(t, "GET in db 1", must[string](t, "GET")(db1.Get(ctx, key).Result()), "one")
	check(t, "GET in db 0", l.Get(ctx, key).Err(), redis.Nil)
	other := client(t, "REDRAFT_LEADER", protocol, 1)
	check(t, "GET in db 1 on the leader", must[string](t, "GET")(other.Get(ctx, key).Result()), "one")
	// An explicit SELECT on one connection.
	conn := l.Conn()
	defer conn.Close()
	check(t, "SELECT 1", conn.Select(ctx, 1).Err(), nil)
	check(t, "GET after SELECT 1", must[string](t, "GET")(conn.Get(ctx, key).Result()), "one")
}

func errorReplies(t *testing.T, ctx context.Context, f *redis.Client, k string) {
	check(t, "HSET", must[int64](t, "HSET")(f.HSet(ctx, k+"h", "f", "v").Result()), int64(1))
	checkErr(t, "GET on a hash", f.Get(ctx, k+"h").Err(), wrongType)
	check(t, "SET", f.Set(ctx, k+"s", "v", 0).Err(), nil)
	checkErr(t, "HGET on a string", f.HGet(ctx, k+"s", "f").Err(), wrongType)
	checkErr(t, "GET without a key", f.Do(ctx, "get").Err(), "ERR wrong number of arguments for 'get' command")
	check(t, "PING afterwards", must[string](t, "PING")(f.Ping(ctx).Result()), "PONG")
}
