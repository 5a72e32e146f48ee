/**
 * Verifiable state end to end: a real 3-member cluster proves present and absent keys, the
 * proofs check out offline with `redraft verify`, every replica records the same root at the
 * same index, the root log's consistency proofs verify, tags and rollback work across members,
 * and snapshots reproduce (or refuse) their recorded roots.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { readSnapshot, writeSnapshot } from '../../src/fsm/snapshot-codec.js';
import {
  rfc6962LeafHash,
  verifyConsistency,
  verifyInclusion,
  verifyKeyProof,
} from '../../src/merkle/verify.js';
import type { Reply } from '../../src/resp/encoder.js';
import { SnapshotStore, decodeSnapshotFile } from '../../src/storage/index.js';
import {
  TestCluster,
  assertKeys,
  parseInfo,
  replyText,
  runCli,
  writeKeys,
  type Member,
} from './harness/index.js';
import { snapshotFiles } from './harness/damage.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

const dir = mkdtempSync(join(tmpdir(), 'redraft-e2e-proofs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function items(r: Reply, what: string): readonly Reply[] {
  if (r.kind !== 'array') throw new Error(`${what}: expected an array, got ${JSON.stringify(r)}`);
  return r.items;
}

function int(r: Reply | undefined): number {
  if (r?.kind !== 'integer') throw new Error(`expected an integer, got ${JSON.stringify(r)}`);
  return Number(r.value);
}

function bytes(r: Reply | undefined): Buffer {
  if (r?.kind !== 'bulk') throw new Error(`expected a bulk string, got ${JSON.stringify(r)}`);
  return Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
}

interface Proven {
  readonly value: Buffer | null;
  readonly root: string;
  readonly index: number;
  readonly proof: Buffer;
}

async function prove(m: Member, key: string, tag?: string): Promise<Proven> {
  const argv = tag === undefined ? ['PROVE', key] : ['PROVE', key, 'AT', tag];
  const [value, root, index, proof] = items(await m.command(argv, 5000), argv.join(' '));
  return {
    value: value?.kind === 'null' ? null : bytes(value),
    root: bytes(root).toString(),
    index: int(index),
    proof: bytes(proof),
  };
}

/** `redraft verify` on a proof written to a file, as a client would run it. */
async function verifyOffline(
  name: string,
  p: Proven,
  key: string,
  claim: string[],
  options: { root?: string; db?: number } = {},
): Promise<{ code: number | null; out: string }> {
  const file = join(dir, `${name}.proof`);
  writeFileSync(file, p.proof);
  const args = [
    'verify',
    '--root',
    options.root ?? p.root,
    '--key',
    key,
    ...claim,
    '--proof',
    file,
  ];
  if (options.db !== undefined) args.push('--db', String(options.db));
  const r = await runCli(args, {}, 30_000);
  return { code: r.code, out: r.stdout + r.stderr };
}

interface LogRecord {
  readonly leaf: number;
  readonly kind: string;
  readonly index: number;
  readonly root: string;
  readonly name: string;
}

async function rootLog(m: Member): Promise<LogRecord[]> {
  return items(await m.command(['MERKLE', 'LOG', '0', '10000'], 5000), 'MERKLE LOG').map((r) => {
    const [leaf, kind, index, root, name] = items(r, 'record');
    return {
      leaf: int(leaf),
      kind: bytes(kind).toString(),
      index: int(index),
      root: bytes(root).toString(),
      name: bytes(name).toString(),
    };
  });
}

interface Checkpoint {
  readonly index: number;
  readonly root: string;
  readonly logSize: number;
  readonly logRoot: string;
}

function checkpointOf(r: Reply): Checkpoint {
  const [index, root, logSize, logRoot] = items(r, 'checkpoint');
  return {
    index: int(index),
    root: bytes(root).toString(),
    logSize: int(logSize),
    logRoot: bytes(logRoot).toString(),
  };
}

/** Waits until every member's root log holds `size` records, and returns them all. */
async function logsAtSize(cluster: TestCluster, size: number): Promise<LogRecord[][]> {
  return cluster.waitFor(
    `every member's root log to reach ${size} records`,
    async () => {
      const logs = await Promise.all(cluster.members.map((m) => rootLog(m)));
      return logs.every((l) => l.length >= size) ? logs : undefined;
    },
    15_000,
  );
}

describe('verifiable state on a real cluster', () => {
  it(
    'proofs from any member verify offline, replicas agree on roots, tags and rollback replicate',
    { timeout: 120_000 },
    async () => {
      const cluster = await TestCluster.start({
        name: 'merkle-proofs',
        extraArgs: ['--merkle-checkpoint-ms', '150'],
      });
      const leader = await cluster.waitForLeader();
      const [f1, f2] = cluster.members.filter((m) => m !== leader) as [Member, Member];
      const ok = { kind: 'simple', value: 'OK' };
      assert.deepEqual(await leader.command(['SET', 'greeting', 'hello']), ok);
      assert.deepEqual(await f1.command(['HSET', 'user', 'name', 'ada', 'lang', 'en']), {
        kind: 'integer',
        value: 2,
      });
      assert.deepEqual(await f2.command(['SET', 'session', 'abc', 'PX', '3600000']), ok);
      await writeKeys(leader, 'bulk-', 200);

      // A present key, proven by a follower (linearizable: it sees the write made elsewhere).
      const present = await prove(f1, 'greeting');
      assert.ok(present.value !== null);
      assert.match(present.root, /^[0-9a-f]{64}$/);
      assert.ok(present.index > 0);
      let r = await verifyOffline('present', present, 'greeting', ['--value', 'hello']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /^valid: key "greeting" of db 0 holds the string "hello"/);
      r = await verifyOffline('present-hex', present, 'greeting', [
        '--value-hex',
        present.value.toString('hex'),
      ]);
      assert.equal(r.code, 0, r.out);

      // Tampering with the value, the key, the root or the proof is caught.
      r = await verifyOffline('tampered-value', present, 'greeting', ['--value', 'hellO']);
      assert.equal(r.code, 1, r.out);
      r = await verifyOffline('tampered-key', present, 'greetinG', ['--value', 'hello']);
      assert.equal(r.code, 1, r.out);
      r = await verifyOffline('tampered-root', present, 'greeting', ['--value', 'hello'], {
        root: `${present.root.slice(0, 63)}${present.root.endsWith('0') ? '1' : '0'}`,
      });
      assert.equal(r.code, 1, r.out);
      const flipped = Buffer.from(present.proof);
      flipped[flipped.length - 5]! ^= 0x40;
      r = await verifyOffline('tampered-proof', { ...present, proof: flipped }, 'greeting', [
        '--value',
        'hello',
      ]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /^invalid: /);

      // An absent key, proven by the other follower; and a hash and a key with an expiry.
      const absent = await prove(f2, 'nobody-here');
      assert.equal(absent.value, null);
      r = await verifyOffline('absent', absent, 'nobody-here', ['--absent']);
      assert.equal(r.code, 0, r.out);
      r = await verifyOffline('absent-claimed', absent, 'nobody-here', ['--value', 'x']);
      assert.equal(r.code, 1, r.out);
      const user = await prove(leader, 'user');
      r = await verifyOffline('hash', user, 'user', ['--value-hex', user.value!.toString('hex')]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /a hash of 2 field\(s\) \{"lang": "en", "name": "ada"\}/);
      const session = await prove(f2, 'session');
      r = await verifyOffline('expiring', session, 'session', ['--value', 'abc']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /expires at \d{4}-/);
      // The REST gateway serves the same proof (base64), checked with the exported verifier.
      const rest = (await (
        await fetch(`http://127.0.0.1:${f2.ports.http}/v1/prove/greeting`)
      ).json()) as { found: boolean; value: string; root: string; index: number; proof: string };
      assert.equal(rest.found, true);
      assert.deepEqual(
        verifyKeyProof({
          root: Buffer.from(rest.root, 'base64'),
          db: 0,
          key: Buffer.from('greeting'),
          claim: { kind: 'string', value: Buffer.from('hello') },
          proof: Buffer.from(rest.proof, 'base64'),
        }).valid,
        true,
      );

      // The same key name in another database is a different key.
      r = await verifyOffline('other-db', present, 'greeting', ['--value', 'hello'], { db: 1 });
      assert.equal(r.code, 1, r.out);

      // Checkpoints: a follower asks for one (forwarded to the leader); every replica records
      // the same root at the same index, and the periodic ones confirm it.
      const first = checkpointOf(await f1.command(['MERKLE', 'CHECKPOINT', 'NOW'], 5000));
      assert.ok(first.index >= present.index);
      const logs = await logsAtSize(cluster, first.logSize);
      const atFirst = logs.map((l) => l.find((rec) => rec.index === first.index));
      for (const rec of atFirst) assert.deepEqual(rec, atFirst[0]);
      assert.equal(atFirst[0]!.root, first.root);
      for (const m of cluster.members) {
        const latest = checkpointOf(await m.command(['MERKLE', 'CHECKPOINT']));
        assert.ok(latest.index >= first.index);
      }
      await cluster.waitFor(
        'every member to confirm the checkpoint against the leader',
        async () => {
          const infos = await Promise.all(cluster.members.map((m) => m.info()));
          return infos.every(
            (i) =>
              Number(i.get('merkle_confirmed_index')) >= first.index &&
              i.get('merkle_diverged') === '0',
          )
            ? true
            : undefined;
        },
        15_000,
      );

      // The root log only grows: a later checkpoint's log provably extends the first one, and
      // the first checkpoint's record is provably in it.
      await writeKeys(f2, 'more-', 50);
      const second = checkpointOf(await leader.command(['MERKLE', 'CHECKPOINT', 'NOW'], 5000));
      assert.ok(second.logSize > first.logSize);
      const [s1, s2, root1, root2, proof] = items(
        await f2.command(['MERKLE', 'CONSISTENCY', String(first.logSize), String(second.logSize)]),
        'consistency',
      );
      assert.equal(int(s1), first.logSize);
      assert.equal(int(s2), second.logSize);
      assert.equal(bytes(root1).toString(), first.logRoot);
      assert.equal(bytes(root2).toString(), second.logRoot);
      const hashes = items(proof!, 'hashes').map((h) => Buffer.from(bytes(h).toString(), 'hex'));
      assert.deepEqual(
        verifyConsistency(
          first.logSize,
          second.logSize,
          Buffer.from(first.logRoot, 'hex'),
          Buffer.from(second.logRoot, 'hex'),
          hashes,
        ),
        { valid: true },
      );
      const [leaf, size, leafData, inclusionRoot, path] = items(
        await f1.command([
          'MERKLE',
          'INCLUSION',
          String(first.logSize - 1),
          String(second.logSize),
        ]),
        'inclusion',
      );
      const data = Buffer.from(bytes(leafData).toString(), 'hex');
      assert.equal(
        data.subarray(9, 41).toString('hex'),
        first.root,
        'the leaf holds the state root',
      );
      assert.equal(bytes(inclusionRoot).toString(), second.logRoot);
      assert.deepEqual(
        verifyInclusion(
          rfc6962LeafHash(data),
          int(leaf),
          int(size),
          items(path!, 'path').map((h) => Buffer.from(bytes(h).toString(), 'hex')),
          Buffer.from(second.logRoot, 'hex'),
        ),
        { valid: true },
      );

      // Tags: prove at a tag after the state moved on; roll back through a follower.
      const [tagIndex, tagRoot] = items(await f1.command(['MERKLE', 'TAG', 'v1'], 5000), 'TAG');
      assert.deepEqual(await leader.command(['SET', 'greeting', 'changed']), ok);
      assert.deepEqual(await leader.command(['DEL', 'user']), { kind: 'integer', value: 1 });
      assert.deepEqual(await f1.command(['SET', 'after-tag', 'x']), ok);
      const atTag = await prove(f2, 'greeting', 'v1');
      assert.equal(atTag.root, bytes(tagRoot).toString());
      assert.equal(atTag.index, int(tagIndex));
      r = await verifyOffline('at-tag', atTag, 'greeting', ['--value', 'hello']);
      assert.equal(r.code, 0, r.out);
      const tags = items(await f2.command(['MERKLE', 'TAGS']), 'TAGS');
      assert.equal(tags.length, 1);
      assert.equal(bytes(items(tags[0]!, 'tag')[0]).toString(), 'v1');

      const [rollbackIndex, rolledRoot] = items(
        await f2.command(['MERKLE', 'ROLLBACK', 'v1'], 5000),
        'ROLLBACK',
      );
      assert.equal(bytes(rolledRoot).toString(), bytes(tagRoot).toString());
      for (const m of cluster.members) {
        assert.equal(await m.get('greeting'), 'hello', `node ${m.id} after the rollback`);
        assert.equal(replyText(await m.command(['HGET', 'user', 'name'])), 'ada');
      }
      await assertKeys(f1, 'bulk-', 200);
      await assertKeys(f2, 'more-', 50);
      // Keys written after the tag are gone with the rollback.
      assert.equal(await f1.get('after-tag'), null);

      // Quiescent: every replica at the same applied index has the same state root.
      await cluster.waitFor(
        'every member at the same index with the same root',
        async () => {
          const roots = await Promise.all(
            cluster.members.map(async (m) => {
              const [index, root] = items(await m.command(['MERKLE', 'ROOT']), 'ROOT');
              return `${int(index)}:${bytes(root).toString()}`;
            }),
          );
          return roots.every((x) => x === roots[0]) ? roots[0] : undefined;
        },
        15_000,
      );

      // The audit view lists the committed operations, the same on every member.
      const audit = items(
        await f1.command(['MERKLE', 'AUDIT', String(int(tagIndex)), String(int(rollbackIndex))]),
        'AUDIT',
      );
      const kinds = audit.map((e) => bytes(items(e, 'entry')[2]).toString());
      assert.equal(kinds[0], 'tag');
      assert.equal(kinds.at(-1), 'rollback');
      assert.ok(kinds.includes('command'));
      const set = audit.find((e) => bytes(items(e, 'entry')[2]).toString() === 'command')!;
      assert.deepEqual(
        items(items(set, 'command')[5]!, 'argv').map((a) => bytes(a).toString()),
        ['SET', 'greeting', 'changed'],
      );
      assert.deepEqual(
        await leader.command([
          'MERKLE',
          'AUDIT',
          String(int(tagIndex)),
          String(int(rollbackIndex)),
        ]),
        { kind: 'array', items: audit },
      );

      // Bad requests get clear errors and change nothing.
      const errors: [string[], RegExp][] = [
        [['PROVE'], /wrong number of arguments for 'prove'/],
        [['PROVE', 'k', 'ON', 'v1'], /syntax error/],
        [['PROVE', 'k', 'AT', 'missing'], /no such tag 'missing'/],
        [['MERKLE', 'NOPE'], /unknown subcommand 'NOPE'. Try MERKLE HELP./],
        [['MERKLE', 'TAG', 'has space'], /invalid tag name/],
        [['MERKLE', 'TAG', 'v1'], /tag 'v1' already exists/],
        [['MERKLE', 'ROLLBACK', 'missing'], /no such tag 'missing'/],
        [['MERKLE', 'AUDIT', '0', '+'], /AUDIT bounds/],
        [['MERKLE', 'AUDIT', '-', '+', 'COUNT', '0'], /COUNT must be within/],
        [['MERKLE', 'CONSISTENCY', '5', '2'], /size1 must not exceed size2/],
        [['MERKLE', 'CONSISTENCY', 'x'], /not an integer/],
      ];
      for (const [argv, why] of errors) {
        const reply = await f1.command(argv, 5000);
        assert.equal(reply.kind, 'error', `${argv.join(' ')}: ${JSON.stringify(reply)}`);
        assert.match((reply as { message: string }).message, why, argv.join(' '));
      }
      assert.equal(replyText(await f1.command(['PING'])), 'PONG');
      const info = parseInfo(await f1.command(['INFO', 'merkle']));
      assert.equal(info.get('merkle_enabled'), '1');
      assert.equal(info.get('merkle_tags'), '1');
      assert.equal(info.get('merkle_diverged'), '0');
      const metrics = await (await fetch(`http://127.0.0.1:${f1.ports.http}/metrics`)).text();
      assert.match(metrics, /^redraft_merkle_diverged 0$/m);
      const recomputes = /^redraft_merkle_recompute_duration_seconds_count (\d+)$/m.exec(metrics);
      assert.ok(recomputes !== null && Number(recomputes[1]) > 0, 'root recomputations are timed');
    },
  );

  it(
    'snapshots reproduce their recorded root (from the leader and from disk); a forged one is refused',
    { timeout: 120_000 },
    async () => {
      const cluster = await TestCluster.start({
        name: 'merkle-snapshots',
        snapshotEntries: 200,
        extraArgs: ['--merkle-checkpoint-ms', '150'],
      });
      const leader = await cluster.waitForLeader();
      const follower = cluster.members.find((m) => m !== leader)!;
      await writeKeys(leader, 'early-', 300);
      await leader.command(['HSET', 'h', 'f', 'v']);
      await leader.command(['MERKLE', 'TAG', 'early'], 5000);
      const followerHas = (await leader.raftInfo()).commit;
      await cluster.waitForApplied(follower, followerHas);
      await follower.kill();

      await writeKeys(leader, 'late-', 1500);
      await leader.command(['DEL', 'early-7']);
      // Snapshots are written and the log compacted in the background: wait until the leader
      // no longer holds the entries the stopped follower needs, so it must send a snapshot.
      await cluster.waitFor(
        `the leader to compact its log past ${followerHas}`,
        async () => ((await leader.raftInfo()).firstIndex > followerHas + 1 ? true : undefined),
        20_000,
      );

      follower.start();
      await follower.waitForLog(
        'a snapshot restored from the leader',
        (l) => l.msg === 'restored state from leader snapshot',
        20_000,
      );
      await cluster.waitForLeader();
      const sameRoot = (): Promise<string> =>
        cluster.waitFor(
          'every member at the same index with the same root',
          async () => {
            const roots = await Promise.all(
              cluster.members.map(async (m) => {
                const [index, root] = items(await m.command(['MERKLE', 'ROOT']), 'ROOT');
                return `${int(index)}:${bytes(root).toString()}`;
              }),
            );
            return roots.every((x) => x === roots[0]) ? roots[0] : undefined;
          },
          20_000,
        );
      await sameRoot();
      // The tag travelled in the snapshot.
      const atTag = await prove(follower, 'early-7', 'early');
      assert.ok(atTag.value !== null);
      assert.equal((await prove(leader, 'early-7', 'early')).root, atTag.root);

      // From its snapshot file after a restart (the one the leader sent is on its disk now).
      await follower.stop('SIGTERM');
      follower.start();
      const fromDisk = await follower.waitForLog(
        'a restore from its own snapshot',
        (l) => l.msg === 'restored state machine from snapshot',
        20_000,
      );
      assert.match(String(fromDisk.root), /^[0-9a-f]{64}$/);
      await cluster.waitForLeader();
      await sameRoot();
      await assertKeys(follower, 'late-', 1500);

      // A snapshot whose state was changed but whose checksum was made right again (what a
      // forger or a bug would produce) is refused: the member will not start on it.
      await follower.stop('SIGTERM');
      const newest = snapshotFiles(follower.dataDir).at(-1)!;
      const snap = decodeSnapshotFile(readFileSync(newest));
      const image = readSnapshot(snap.data);
      const forgedKey = [...image.dbs[0]!.keys()][0]!;
      const e = image.dbs[0]!.get(forgedKey)!;
      image.dbs[0]!.set(forgedKey, {
        ...e,
        value: { type: 'string', value: Buffer.from('forged') },
      });
      const store = await SnapshotStore.open(join(follower.dataDir, 'snapshots'), {
        logger: pino({ level: 'silent' }),
      });
      await store.save({ metadata: snap.metadata, data: writeSnapshot(image) });
      follower.start();
      const exit = await follower.waitForExit(20_000);
      assert.equal(exit.code, 1);
      assert.match(
        follower.logText(),
        /cannot start: refused snapshot: the snapshot state does not reproduce its recorded Merkle root/,
      );
    },
  );
});
