package redraft.compat;

import redis.clients.jedis.RedisProtocol;

/** The scenario over RESP3 (HELLO 3). */
class Resp3Test extends Scenario {
  @Override
  RedisProtocol protocol() {
    return RedisProtocol.RESP3;
  }
}
