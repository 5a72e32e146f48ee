import assert from 'node:assert/strict';
import { readFile, readdir, rename, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  EMPTY_CONF_STATE,
  index,
  nodeId,
  term,
  type ConfState,
  type Snapshot,
} from '../../src/raft/index.js';
import { SnapshotStore, decodeSnapshotFile, snapshotFileName } from '../../src/storage/index.js';
import { bytes, captureLogger, silent, tempDir } from './helpers.js';

const CS: ConfState = {
  voters: [nodeId(1), nodeId(2)],
  learners: [nodeId(7)],
  votersOutgoing: [nodeId(1), nodeId(3)],
  learnersNext: [nodeId(3)],
  autoLeave: true,
};

function snap(i: number, t = 1, data: Uint8Array = bytes(`state as of ${i}`)): Snapshot {
  return { metadata: { index: index(i), term: term(t), confState: CS }, data };
}

function same(actual: Snapshot | undefined, expected: Snapshot): void {
  assert.ok(actual !== undefined);
  assert.deepEqual(actual.metadata, expected.metadata);
  assert.deepEqual(Array.from(actual.data), Array.from(expected.data));
}

describe('SnapshotStore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('snap'));
  });
  afterEach(async () => {
    await cleanup();
  });

  it('has nothing to load in a new directory', async () => {
    const store = await SnapshotStore.open(join(dir, 'nested', 'snap'), { logger: silent });
    assert.equal(await store.loadLatest(), undefined);
    assert.deepEqual(await store.list(), []);
  });

  it('round-trips metadata and data, including an empty image and an empty conf state', async () => {
    const store = await SnapshotStore.open(dir, { logger: silent });
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    await store.save(snap(5, 2, big));
    same(await store.loadLatest(), snap(5, 2, big));

    const empty: Snapshot = {
      metadata: { index: index(6), term: term(2), confState: EMPTY_CONF_STATE },
      data: new Uint8Array(0),
    };
    await store.save(empty);
    same(await (await SnapshotStore.open(dir, { logger: silent })).loadLatest(), empty);
  });

  it('names files so that they sort by index', async () => {
    const store = await SnapshotStore.open(dir, { logger: silent });
    for (const i of [9, 10, 100, 2]) await store.save(snap(i));
    assert.deepEqual(
      (await store.list()).map((f) => f.index),
      [9, 10, 100],
    );
    assert.equal(snapshotFileName(10, 3), '00000000000000000010-00000000000000000003.snap');
    same(await store.loadLatest(), snap(100));
  });

  it('keeps only the newest `keep` files', async () => {
    const store = await SnapshotStore.open(dir, { keep: 2, logger: silent });
    for (let i = 1; i <= 5; i++) await store.save(snap(i * 10));
    assert.deepEqual(
      (await store.list()).map((f) => f.index),
      [40, 50],
    );
    assert.deepEqual((await readdir(dir)).length, 2);
  });

  it('saves concurrently issued snapshots one after another', async () => {
    const store = await SnapshotStore.open(dir, { keep: 3, logger: silent });
    await Promise.all([store.save(snap(1)), store.save(snap(2)), store.save(snap(3))]);
    assert.deepEqual(
      (await store.list()).map((f) => f.index),
      [1, 2, 3],
    );
  });

  it('skips a snapshot with a flipped byte, logging the file, and loads the previous one', async () => {
    const { logger, lines } = captureLogger();
    const store = await SnapshotStore.open(dir, { logger });
    await store.save(snap(1));
    await store.save(snap(2));
    const newest = snapshotFileName(2, 1);
    const raw = await readFile(join(dir, newest));
    const at = raw.length - 40; // inside the data
    raw[at] = raw[at]! ^ 0x20;
    await writeFile(join(dir, newest), raw);

    same(await store.loadLatest(), snap(1));
    const warns = lines.filter((l) => l.msg === 'refusing corrupt snapshot');
    assert.equal(warns.length, 1);
    assert.equal(warns[0]!.file, newest);
    assert.match(JSON.stringify(warns[0]!.err), /checksum mismatch/);
  });

  it('skips a truncated snapshot', async () => {
    const { logger, lines } = captureLogger();
    const store = await SnapshotStore.open(dir, { logger });
    await store.save(snap(1));
    await store.save(snap(2));
    await truncate(join(dir, snapshotFileName(2, 1)), 30);
    same(await store.loadLatest(), snap(1));
    assert.match(JSON.stringify(lines[0]!.err), /truncated/);
  });

  it('skips a file whose header disagrees with its name', async () => {
    const store = await SnapshotStore.open(dir, { logger: silent });
    await store.save(snap(1));
    await store.save(snap(2));
    await rename(join(dir, snapshotFileName(2, 1)), join(dir, snapshotFileName(3, 1)));
    same(await store.loadLatest(), snap(1));
  });

  it('returns undefined when every file is damaged', async () => {
    const { logger, lines } = captureLogger();
    const store = await SnapshotStore.open(dir, { logger });
    await store.save(snap(1));
    await writeFile(join(dir, snapshotFileName(1, 1)), bytes('not a snapshot'));
    assert.equal(await store.loadLatest(), undefined);
    assert.match(JSON.stringify(lines[0]!.err), /bad magic/);
  });

  it('removes temporary files left by an interrupted save', async () => {
    const store = await SnapshotStore.open(dir, { logger: silent });
    await store.save(snap(1));
    const leftover = `${snapshotFileName(2, 1)}.tmp-123-0`;
    await writeFile(join(dir, leftover), bytes('half written'));
    await SnapshotStore.open(dir, { logger: silent });
    assert.deepEqual(await readdir(dir), [snapshotFileName(1, 1)]);
  });

  it('decodeSnapshotFile rejects trailing bytes and a truncated header', async () => {
    const store = await SnapshotStore.open(dir, { logger: silent });
    await store.save(snap(1));
    const raw = await readFile(join(dir, snapshotFileName(1, 1)));
    same(decodeSnapshotFile(raw), snap(1));
    assert.throws(() => decodeSnapshotFile(Buffer.concat([raw, Buffer.of(0)])), /trailing bytes/);
    assert.throws(() => decodeSnapshotFile(raw.subarray(0, 20)), /truncated/);
  });

  it('refuses keep < 1', async () => {
    await assert.rejects(SnapshotStore.open(dir, { keep: 0, logger: silent }), RangeError);
  });
});
