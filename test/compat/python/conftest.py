"""Fixtures for the redis-py compatibility tests.

The cluster's addresses come from run.mjs through the environment (REDRAFT_LEADER,
REDRAFT_FOLLOWER, REDRAFT_NODES as host:port). Every standalone test runs twice: over RESP2
and over RESP3 (HELLO 3), each time with its own key prefix.
"""

import os

import pytest
import redis


def address(var):
    value = os.environ.get(var)
    if not value:
        pytest.exit(f"{var} is not set: run this through test/compat/run.mjs", returncode=2)
    host, _, port = value.rpartition(":")
    return host, int(port)


def connect(var, protocol, **kwargs):
    host, port = address(var)
    client = redis.Redis(
        host=host,
        port=port,
        protocol=protocol,
        decode_responses=True,
        socket_timeout=10,
        **kwargs,
    )
    return client


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def protocol(request):
    return request.param


@pytest.fixture
def prefix(protocol):
    """Keys of the RESP2 and RESP3 runs must not collide on the one cluster."""
    return f"py{protocol}:"


@pytest.fixture
def f(protocol):
    """A connection to a follower."""
    client = connect("REDRAFT_FOLLOWER", protocol)
    yield client
    client.close()


@pytest.fixture
def l(protocol):  # noqa: E743 -- F and L as in SCENARIO.md
    """A connection to the leader."""
    client = connect("REDRAFT_LEADER", protocol)
    yield client
    client.close()
