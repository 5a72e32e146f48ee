"""The compatibility scenario (../SCENARIO.md) with redis-py: F is a follower, L the leader."""

import os
import re
import time

import pytest
import redis

from conftest import connect

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_strings(f, l, prefix):
    k = lambda name: prefix + "s:" + name  # noqa: E731
    assert f.set(k("k"), "hello") is True
    assert l.get(k("k")) == "hello"
    assert f.set(k("k"), "world", get=True) == "hello"
    assert f.set(k("k"), "x", nx=True) is None
    assert f.set(k("nx"), "v", nx=True) is True
    assert f.set(k("k"), "again", xx=True) is True
    assert f.set(k("xx"), "v", xx=True) is None
    assert l.get(k("xx")) is None
    assert l.get(k("k")) == "again"
    assert f.incr(k("n")) == 1
    assert f.incrby(k("n"), 41) == 42
    assert f.incrbyfloat(k("n"), 0.5) == 42.5
    assert f.incrbyfloat(k("f"), 10.5) == 10.5
    assert f.incrbyfloat(k("f"), 0.1) == 10.6
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        f.incr(k("n"))
    assert f.append(k("a"), "Hello") == 5
    assert f.append(k("a"), " World") == 11
    assert f.mset({k("m1"): "a", k("m2"): "b", k("m3"): "c"}) is True
    assert l.mget(k("m1"), k("m2"), k("none"), k("m3")) == ["a", "b", None, "c"]
    assert l.getrange(k("a"), 0, 4) == "Hello"
    assert l.getrange(k("a"), -5, -1) == "World"
    assert f.setrange(k("a"), 6, "Redis") == 11
    assert l.get(k("a")) == "Hello Redis"
    assert l.strlen(k("a")) == 11
    assert l.strlen(k("none")) == 0
    assert f.setrange(k("pad"), 3, "x") == 4
    assert l.get(k("pad")) == "\0\0\0x"


def test_px_expiry(f, l, prefix):
    key = prefix + "t:px"
    assert f.set(key, "v", px=300) is True
    assert l.get(key) == "v"
    time.sleep(0.5)
    assert l.get(key) is None
    assert f.get(key) is None


def test_ttl(f, l, prefix):
    key, none = prefix + "t:k", prefix + "t:none"
    assert f.set(key, "v", ex=100) is True
    assert 90 <= l.ttl(key) <= 100
    assert 90_000 <= l.pttl(key) <= 100_000
    assert f.persist(key) is True
    assert l.ttl(key) == -1
    assert f.persist(key) is False
    assert f.expire(key, 50) is True
    assert 40 <= l.ttl(key) <= 50
    assert l.ttl(none) == -2
    assert l.pttl(none) == -2
    assert f.expire(none, 10) is False


def test_hashes(f, l, prefix):
    key = prefix + "h:k"
    assert f.hset(key, mapping={"f1": "v1", "f2": "v2"}) == 2
    assert f.hset(key, "f1", "v1b") == 0
    assert l.hget(key, "f1") == "v1b"
    assert l.hget(key, "nofield") is None
    assert l.hgetall(key) == {"f1": "v1b", "f2": "v2"}
    assert f.hincrby(key, "n", 5) == 5
    assert f.hincrby(key, "n", -2) == 3
    assert f.hdel(key, "f1", "nofield") == 1
    assert l.hlen(key) == 2
    assert l.hgetall(prefix + "h:none") == {}


def test_transaction(f, prefix):
    key = prefix + "x:k"
    pipe = f.pipeline(transaction=True)
    pipe.set(key, "1").incr(key).get(key)
    assert pipe.execute() == [True, 2, "2"]


def test_watch_unchanged_key_commits(f, l, prefix):
    key = prefix + "x:w2"
    with f.pipeline(transaction=True) as pipe:
        pipe.watch(key)
        assert pipe.get(key) is None  # immediate mode while watching
        pipe.multi()
        pipe.set(key, "ok")
        assert pipe.execute() == [True]
    assert l.get(key) == "ok"


def test_watch_changed_key_aborts(f, l, prefix):
    key = prefix + "x:w"
    with f.pipeline(transaction=True) as pipe:
        pipe.watch(key)
        pipe.multi()
        pipe.set(key, "mine")
        assert l.set(key, "theirs") is True  # another connection, to the leader
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert l.get(key) == "theirs"


def test_watch_abort_is_a_nil_reply(f, l, prefix):
    """The same abort, as raw commands on one connection: EXEC answers nil."""
    key = prefix + "x:raw"
    conn = f.connection_pool.get_connection()
    try:
        for cmd in (("WATCH", key), ("MULTI",), ("SET", key, "mine")):
            conn.send_command(*cmd)
            assert conn.read_response() in ("OK", "QUEUED")
        assert l.set(key, "theirs") is True
        conn.send_command("EXEC")
        assert conn.read_response() is None
    finally:
        f.connection_pool.release(conn)
    assert l.get(key) == "theirs"


def test_pipeline(f, l, prefix):
    pipe = f.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"{prefix}p:{i}", f"v-{i}")
    assert pipe.execute() == [True] * 1000
    pipe = l.pipeline(transaction=False)
    for i in range(1000):
        pipe.get(f"{prefix}p:{i}")
    assert pipe.execute() == [f"v-{i}" for i in range(1000)]


def test_leader(f):
    reply = f.execute_command("LEADER")
    assert isinstance(reply, list) and len(reply) >= 2
    assert re.fullmatch(r"[^:]+:\d+", reply[1])
    assert reply[1] == os.environ["REDRAFT_LEADER"]


def test_select(f, l, protocol, prefix):
    key = prefix + "d:k"
    db1 = connect("REDRAFT_FOLLOWER", protocol, db=1)  # the pool SELECTs on connect
    try:
        assert db1.set(key, "one") is True
        assert db1.get(key) == "one"
    finally:
        db1.close()
    assert l.get(key) is None
    assert f.execute_command("SELECT", 1) in (True, "OK")
    assert f.get(key) == "one"
    other = connect("REDRAFT_LEADER", protocol, db=1)
    try:
        assert other.get(key) == "one"
    finally:
        other.close()


def test_errors(f, prefix):
    h, s = prefix + "e:h", prefix + "e:s"
    assert f.hset(h, "f", "v") == 1
    with pytest.raises(redis.ResponseError) as err:
        f.get(h)
    assert str(err.value) == WRONGTYPE
    assert f.set(s, "v") is True
    with pytest.raises(redis.ResponseError) as err:
        f.hget(s, "f")
    assert str(err.value) == WRONGTYPE
    with pytest.raises(redis.ResponseError) as err:
        f.execute_command("GET")
    assert str(err.value) == "wrong number of arguments for 'get' command"
    assert f.ping() is True
