package redraft.compat;

import redis.clients.jedis.RedisProtocol;

/** The scenario over RESP2 (HELLO 2). */
class Resp2Test extends Scenario {
  @Override
  RedisProtocol protocol() {
    return RedisProtocol.RESP2;
  }
}
