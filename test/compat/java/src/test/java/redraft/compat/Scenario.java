package redraft.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.SafeEncoder;

/**
 * The compatibility scenario (../../../../../../SCENARIO.md) with Jedis: {@code f} is a
 * connection to a follower, {@code l} one to the leader, from REDRAFT_FOLLOWER and
 * REDRAFT_LEADER. Subclasses choose the protocol; each uses its own key prefix.
 */
abstract class Scenario {
  static final String WRONGTYPE =
      "WRONGTYPE Operation against a key holding the wrong kind of value";

  abstract RedisProtocol protocol();

  Jedis f;
  Jedis l;
  String p;
  final List<Jedis> opened = new ArrayList<>();

  static HostAndPort address(String var) {
    String v = System.getenv(var);
    if (v == null || v.isEmpty()) {
      throw new IllegalStateException(var + " is not set: run this through test/compat/run.mjs");
    }
    return HostAndPort.from(v);
  }

  Jedis connect(String var, int db) {
    Jedis j =
        new Jedis(
            address(var),
            DefaultJedisClientConfig.builder()
                .protocol(protocol())
                .database(db)
                .socketTimeoutMillis(10_000)
                .build());
    opened.add(j);
    return j;
  }

  @BeforeEach
  void open() {
    // install.sh runs `mvn test -Dredraft.compat.fetchOnly=true` to download everything,
    // including Surefire's JUnit provider, without a cluster.
    assumeFalse(Boolean.getBoolean("redraft.compat.fetchOnly"), "fetching dependencies only");
    f = connect("REDRAFT_FOLLOWER", 0);
    l = connect("REDRAFT_LEADER", 0);
    p = "java" + protocol().version() + ":";
  }

  @AfterEach
  void close() {
    for (Jedis j : opened) j.close();
    opened.clear();
  }

  @Test
  void protocolNegotiated() {
    Object info = f.sendCommand(Protocol.Command.CLIENT, "INFO");
    String text = info instanceof byte[] b ? SafeEncoder.encode(b) : String.valueOf(info);
    assertTrue(
        text.contains(" resp=" + protocol().version() + " "), "CLIENT INFO: " + text);
  }

  @Test
  void strings() {
    String k = p + "s:";
    assertEquals("OK", f.set(k + "k", "hello"));
    assertEquals("hello", l.get(k + "k"));
    assertEquals("hello", f.setGet(k + "k", "world"));
    assertNull(f.set(k + "k", "x", SetParams.setParams().nx()));
    assertEquals("OK", f.set(k + "nx", "v", SetParams.setParams().nx()));
    assertEquals("OK", f.set(k + "k", "again", SetParams.setParams().xx()));
    assertNull(f.set(k + "xx", "v", SetParams.setParams().xx()));
    assertNull(l.get(k + "xx"));
    assertEquals("again", l.get(k + "k"));
    assertEquals(1, f.incr(k + "n"));
    assertEquals(42, f.incrBy(k + "n", 41));
    assertEquals(42.5, f.incrByFloat(k + "n", 0.5));
    assertEquals(10.5, f.incrByFloat(k + "f", 10.5));
    assertEquals(10.6, f.incrByFloat(k + "f", 0.1));
    JedisDataException e = assertThrows(JedisDataException.class, () -> f.incr(k + "n"));
    assertEquals("ERR value is not an integer or out of range", e.getMessage());
    assertEquals(5, f.append(k + "a", "Hello"));
    assertEquals(11, f.append(k + "a", " World"));
    assertEquals("OK", f.mset(k + "m1", "a", k + "m2", "b", k + "m3", "c"));
    assertEquals(
        Arrays.asList("a", "b", null, "c"), l.mget(k + "m1", k + "m2", k + "none", k + "m3"));
    assertEquals("Hello", l.getrange(k + "a", 0, 4));
    assertEquals("World", l.getrange(k + "a", -5, -1));
    assertEquals(11, f.setrange(k + "a", 6, "Redis"));
    assertEquals("Hello Redis", l.get(k + "a"));
    assertEquals(11, l.strlen(k + "a"));
    assertEquals(0, l.strlen(k + "none"));
    assertEquals(4, f.setrange(k + "pad", 3, "x"));
    assertArrayEquals(new byte[] {0, 0, 0, 'x'}, l.get(SafeEncoder.encode(k + "pad")));
  }

  @Test
  void pxExpiry() throws InterruptedException {
    String key = p + "t:px";
    assertEquals("OK", f.set(key, "v", SetParams.setParams().px(300)));
    assertEquals("v", l.get(key));
    Thread.sleep(500);
    assertNull(l.get(key));
    assertNull(f.get(key));
  }

  @Test
  void ttl() {
    String key = p + "t:k";
    String none = p + "t:none";
    assertEquals("OK", f.set(key, "v", SetParams.setParams().ex(100)));
    long ttl = l.ttl(key);
    assertTrue(ttl >= 90 && ttl <= 100, "TTL " + ttl);
    long pttl = l.pttl(key);
    assertTrue(pttl >= 90_000 && pttl <= 100_000, "PTTL " + pttl);
    assertEquals(1, f.persist(key));
    assertEquals(-1, l.ttl(key));
    assertEquals(0, f.persist(key));
    assertEquals(1, f.expire(key, 50));
    ttl = l.ttl(key);
    assertTrue(ttl >= 40 && ttl <= 50, "TTL after EXPIRE " + ttl);
    assertEquals(-2, l.ttl(none));
    assertEquals(-2, l.pttl(none));
    assertEquals(0, f.expire(none, 10));
  }

  @Test
  void hashes() {
    String key = p + "h:k";
    assertEquals(2, f.hset(key, Map.of("f1", "v1", "f2", "v2")));
    assertEquals(0, f.hset(key, "f1", "v1b"));
    assertEquals("v1b", l.hget(key, "f1"));
    assertNull(l.hget(key, "nofield"));
    assertEquals(Map.of("f1", "v1b", "f2", "v2"), l.hgetAll(key));
    assertEquals(5, f.hincrBy(key, "n", 5));
    assertEquals(3, f.hincrBy(key, "n", -2));
    assertEquals(1, f.hdel(key, "f1", "nofield"));
    assertEquals(2, l.hlen(key));
    assertEquals(Map.of(), l.hgetAll(p + "h:none"));
  }

  @Test
  void transaction() {
    String key = p + "x:k";
    Transaction t = f.multi();
    t.set(key, "1");
    t.incr(key);
    t.get(key);
    assertEquals(List.of("OK", 2L, "2"), t.exec());
  }

  @Test
  void watchUnchangedKeyCommits() {
    String key = p + "x:w2";
    assertEquals("OK", f.watch(key));
    assertNull(f.get(key));
    Transaction t = f.multi();
    t.set(key, "ok");
    assertEquals(List.of("OK"), t.exec());
    assertEquals("ok", l.get(key));
  }

  @Test
  void watchChangedKeyAborts() {
    String key = p + "x:w";
    assertEquals("OK", f.watch(key));
    Transaction t = f.multi();
    t.set(key, "mine");
    assertEquals("OK", l.set(key, "theirs")); // another connection
    assertNull(t.exec()); // EXEC answered nil: aborted
    assertEquals("theirs", l.get(key));
    // The connection is usable afterwards.
    assertEquals("PONG", f.ping());
  }

  @Test
  void pipeline() {
    Pipeline pf = f.pipelined();
    List<Response<String>> sets = new ArrayList<>();
    for (int i = 0; i < 1000; i++) sets.add(pf.set(p + "p:" + i, "v-" + i));
    pf.sync();
    for (Response<String> r : sets) assertEquals("OK", r.get());
    Pipeline pl = l.pipelined();
    List<Response<String>> gets = new ArrayList<>();
    for (int i = 0; i < 1000; i++) gets.add(pl.get(p + "p:" + i));
    pl.sync();
    for (int i = 0; i < 1000; i++) assertEquals("v-" + i, gets.get(i).get());
  }

  @Test
  void leader() {
    Object reply = f.sendCommand(() -> SafeEncoder.encode("LEADER"));
    List<?> items = assertInstanceOf(List.class, reply);
    assertTrue(items.size() >= 2, "LEADER: " + items);
    byte[] raw = assertInstanceOf(byte[].class, items.get(1));
    String address = SafeEncoder.encode(raw);
    assertTrue(address.matches("[^:]+:\\d+"), "LEADER address " + address);
    assertEquals(System.getenv("REDRAFT_LEADER"), address);
  }

  @Test
  void select() {
    String key = p + "d:k";
    Jedis db1 = connect("REDRAFT_FOLLOWER", 1);
    assertEquals("OK", db1.set(key, "one"));
    assertEquals("one", db1.get(key));
    assertNull(l.get(key));
    assertEquals("OK", l.select(1));
    assertEquals("one", l.get(key));
    Jedis other = connect("REDRAFT_LEADER", 1);
    assertEquals("one", other.get(key));
  }

  @Test
  void errors() {
    assertEquals(1, f.hset(p + "e:h", "f", "v"));
    JedisDataException e = assertThrows(JedisDataException.class, () -> f.get(p + "e:h"));
    assertEquals(WRONGTYPE, e.getMessage());
    assertEquals("OK", f.set(p + "e:s", "v"));
    e = assertThrows(JedisDataException.class, () -> f.hget(p + "e:s", "f"));
    assertEquals(WRONGTYPE, e.getMessage());
    e = assertThrows(JedisDataException.class, () -> f.sendCommand(Protocol.Command.GET));
    assertEquals("ERR wrong number of arguments for 'get' command", e.getMessage());
    assertNotNull(f.ping());
    assertEquals("PONG", f.ping());
  }
}
