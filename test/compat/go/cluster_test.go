// go-redis's ClusterClient against a cluster in `--routing redirect` mode, seeded with a
// follower's address only: it must find the leader through CLUSTER SLOTS and follow MOVED.
// Runs only with REDRAFT_COMPAT_CLUSTER=1 (run.mjs's go-redis-cluster client).
package compat

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func clusterClient(t *testing.T) *redis.ClusterClient {
	t.Helper()
	if os.Getenv("REDRAFT_COMPAT_CLUSTER") != "1" || os.Getenv("REDRAFT_ROUTING") != "redirect" {
		t.Skip("needs REDRAFT_COMPAT_CLUSTER=1 and a cluster started with --routing redirect")
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:        []string{addr(t, "REDRAFT_FOLLOWER")},
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestClusterDiscovery(t *testing.T) {
	c := clusterClient(t)
	ctx := context.Background()
	slots := must[[]redis.ClusterSlot](t, "CLUSTER SLOTS")(c.ClusterSlots(ctx).Result())
	if len(slots) != 1 || slots[0].Start != 0 || slots[0].End != 16383 {
		t.Fatalf("CLUSTER SLOTS: %+v", slots)
	}
	check(t, "the master is the leader", slots[0].Nodes[0].Addr, os.Getenv("REDRAFT_LEADER"))
	var addrs []string
	for _, n := range slots[0].Nodes {
		addrs = append(addrs, n.Addr)
	}
	sort.Strings(addrs)
	want := strings.Split(os.Getenv("REDRAFT_NODES"), ",")
	sort.Strings(want)
	check(t, "every member is in CLUSTER SLOTS", addrs, want)

	var masters []string
	err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		masters = append(masters, m.Options().Addr)
		return m.Ping(ctx).Err()
	})
	check(t, "PING every master", err, nil)
	check(t, "masters", masters, []string{os.Getenv("REDRAFT_LEADER")})
	err = c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error {
		return n.Ping(ctx).Err()
	})
	check(t, "PING every shard member", err, nil)
}

func TestClusterCommands(t *testing.T) {
	c := clusterClient(t)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		k := fmt.Sprintf("goc:s:%d", i)
		check(t, "SET "+k, c.Set(ctx, k, fmt.Sprintf("v-%d", i), 0).Err(), nil)
	}
	for i := 0; i < 100; i++ {
		k := fmt.Sprintf("goc:s:%d", i)
		check(t, "GET "+k, must[string](t, "GET")(c.Get(ctx, k).Result()), fmt.Sprintf("v-%d", i))
	}
	check(t, "INCR", must[int64](t, "INCR")(c.Incr(ctx, "goc:n").Result()), int64(1))
	check(t, "MSET one slot", c.MSet(ctx, "{goc}a", "1", "{goc}b", "2").Err(), nil)
	check(t, "MGET one slot", must[[]any](t, "MGET")(c.MGet(ctx, "{goc}a", "{goc}b", "{goc}none").Result()), []any{"1", "2", nil})
	check(t, "HSET", must[int64](t, "HSET")(c.HSet(ctx, "goc:h", "a", "1", "b", "2").Result()), int64(2))
	check(t, "HGETALL", must[map[string]string](t, "HGETALL")(c.HGetAll(ctx, "goc:h").Result()), map[string]string{"a": "1", "b": "2"})
	check(t, "TTL", c.Expire(ctx, "goc:h", time.Minute).Err(), nil)
	check(t, "CLUSTER KEYSLOT", must[int64](t, "KEYSLOT")(c.ClusterKeySlot(ctx, "foo").Result()), int64(12182))
}

func TestClusterPipelineAndTransaction(t *testing.T) {
	c := clusterClient(t)
	ctx := context.Background()
	p := c.Pipeline()
	for i := 0; i < 300; i++ {
		p.Set(ctx, fmt.Sprintf("goc:p:%d", i), fmt.Sprintf("v-%d", i), 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatalf("pipelined SETs: %v", err)
	}
	p = c.Pipeline()
	gets := make([]*redis.StringCmd, 300)
	for i := range gets {
		gets[i] = p.Get(ctx, fmt.Sprintf("goc:p:%d", i))
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatalf("pipelined GETs: %v", err)
	}
	for i, g := range gets {
		check(t, "pipelined GET", g.Val(), fmt.Sprintf("v-%d", i))
	}

	var incr *redis.IntCmd
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "{goc:x}k", "1", 0)
		incr = p.Incr(ctx, "{goc:x}k")
		return nil
	})
	check(t, "MULTI/EXEC", err, nil)
	check(t, "INCR in EXEC", incr.Val(), int64(2))

	// WATCH through the cluster client: the transaction runs on the leader.
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.Get(ctx, "{goc:x}k").Int()
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "{goc:x}k", n*10, 0)
			return nil
		})
		return err
	}, "{goc:x}k")
	check(t, "WATCH transaction", err, nil)
	check(t, "GET after WATCH", must[string](t, "GET")(c.Get(ctx, "{goc:x}k").Result()), "20")
}

func TestClusterFollowerAnswersMoved(t *testing.T) {
	clusterClient(t) // for the skip
	plain := redis.NewClient(&redis.Options{Addr: addr(t, "REDRAFT_FOLLOWER"), MaxRetries: -1})
	defer plain.Close()
	err := plain.Set(context.Background(), "foo", "x", 0).Err()
	check(t, "SET on a follower", fmt.Sprint(err), "MOVED 12182 "+os.Getenv("REDRAFT_LEADER"))
}
