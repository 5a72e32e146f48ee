"""redis-py's RedisCluster against a cluster in `--routing redirect` mode.

The client is seeded with a follower's address only: it must find the leader through
CLUSTER SLOTS / CLUSTER SHARDS and follow MOVED by itself.
"""

import os

import pytest
import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

from conftest import address

pytestmark = pytest.mark.skipif(
    os.environ.get("REDRAFT_ROUTING") != "redirect",
    reason="needs a cluster started with --routing redirect",
)


@pytest.fixture(scope="module")
def rc():
    host, port = address("REDRAFT_FOLLOWER")
    client = RedisCluster(host=host, port=port, decode_responses=True, socket_timeout=10)
    yield client
    client.close()


def test_discovery(rc):
    nodes = {n.name for n in rc.get_nodes()}
    assert nodes == set(os.environ["REDRAFT_NODES"].split(","))
    primaries = [n.name for n in rc.get_primaries()]
    assert primaries == [os.environ["REDRAFT_LEADER"]]
    assert len(rc.get_replicas()) == 2


def test_keyslot_agrees(rc):
    for key in ("foo", "bar", "{user1000}.following", "somekey", ""):
        assert rc.cluster_keyslot(key) == key_slot(key.encode())


def test_strings_across_slots(rc):
    keys = [f"pyc:s:{i}" for i in range(100)]
    assert len({key_slot(k.encode()) for k in keys}) > 50
    for i, k in enumerate(keys):
        assert rc.set(k, f"v-{i}") is True
    for i, k in enumerate(keys):
        assert rc.get(k) == f"v-{i}"
    assert rc.incr("pyc:n") == 1
    assert rc.incrbyfloat("pyc:n", 1.5) == 2.5
    assert rc.set("pyc:s:0", "new", get=True) == "v-0"
    assert rc.mset({"{pyc}a": "1", "{pyc}b": "2"}) is True
    assert rc.mget("{pyc}a", "{pyc}b", "{pyc}none") == ["1", "2", None]


def test_hashes(rc):
    assert rc.hset("pyc:h", mapping={"a": "1", "b": "2"}) == 2
    assert rc.hincrby("pyc:h", "a", 10) == 11
    assert rc.hgetall("pyc:h") == {"a": "11", "b": "2"}


def test_pipeline(rc):
    pipe = rc.pipeline()
    for i in range(300):
        pipe.set(f"pyc:p:{i}", f"v-{i}")
    assert pipe.execute() == [True] * 300
    pipe = rc.pipeline()
    for i in range(300):
        pipe.get(f"pyc:p:{i}")
    assert pipe.execute() == [f"v-{i}" for i in range(300)]


def test_transaction_in_one_slot(rc):
    pipe = rc.pipeline(transaction=True)
    pipe.set("{pyc:x}k", "1").incr("{pyc:x}k").get("{pyc:x}k")
    # redis-py's cluster transactions return SET's reply unconverted ('OK', not True), against
    # a real Redis Cluster too.
    assert pipe.execute() == ["OK", 2, "2"]


def test_follower_answers_moved():
    host, port = address("REDRAFT_FOLLOWER")
    plain = redis.Redis(host=host, port=port, decode_responses=True)
    try:
        with pytest.raises(redis.exceptions.MovedError) as err:
            plain.set("pyc:moved", "x")
        assert err.value.slot_id == key_slot(b"pyc:moved")
        assert err.value.node_addr == tuple(address("REDRAFT_LEADER"))
    finally:
        plain.close()


def test_leader_command(rc):
    # A command redis-py does not know needs explicit nodes (a flag like RANDOM is not enough,
    # against a real Redis Cluster too). Every member answers it.
    for node in rc.get_nodes():
        reply = rc.execute_command("LEADER", target_nodes=node)
        assert reply[1] == os.environ["REDRAFT_LEADER"]
