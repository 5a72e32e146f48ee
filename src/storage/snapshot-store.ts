/**
 * Raft snapshots (metadata + state-machine image) as files in one directory.
 *
 * File name: `<index, 20 digits>-<term, 20 digits>.snap`, so names sort by index. Layout:
 *   0   8 bytes  magic "RDRFTSNP"
 *   8   u32      format version (1)
 *   12  u64      index
 *   20  u64      term
 *   28  ...      conf state (codec.ts)
 *   ..  u64      data length
 *   ..  data
 *   ..  32 bytes SHA-256 over everything before it (header + data)
 *
 * Saving is atomic: write a temporary file in the same directory, fsync it, rename it over the
 * final name, fsync the directory (so the rename itself survives a crash). A crash leaves
 * either the old set of files or the new one, plus perhaps a temporary file, removed at open.
 *
 * Loading never trusts a file: the newest one whose length, header and checksum verify wins;
 * every file skipped is logged. A damaged snapshot is never loaded.
 */
import { createHash } from 'node:crypto';
import { mkdir, open as openFile, readFile, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Snapshot } from '../raft/index.js';
import { index as toIndex, term as toTerm } from '../raft/index.js';
import {
  ByteReader,
  DecodeError,
  confStateSize,
  readConfState,
  writeConfState,
  writeU64,
} from './codec.js';

const MAGIC = new TextEncoder().encode('RDRFTSNP');
const FORMAT_VERSION = 1;
const DIGEST_BYTES = 32;
const SUFFIX = '.snap';
const TEMP_MARK = '.tmp-';
const NAME_PATTERN = /^(\d{20})-(\d{20})\.snap$/;

export interface SnapshotStoreOptions {
  /** How many of the newest snapshot files to keep; older ones are deleted after a save. */
  readonly keep?: number;
  readonly logger: Logger;
  /** Metrics hooks. */
  readonly observer?: SnapshotStoreObserver;
}

/** What the store reports after each save, for metrics (src/observe implements it). */
export interface SnapshotStoreObserver {
  /** A snapshot file of `bytes` data bytes became durable, `durationMs` after the save began
   *  (write, fsync, rename and directory fsync; performance.now() clock). */
  saved(durationMs: number, bytes: number): void;
}

export interface SnapshotFileInfo {
  readonly file: string;
  readonly index: number;
  readonly term: number;
}

function pad(n: number): string {
  return n.toString().padStart(20, '0');
}

export function snapshotFileName(index: number, term: number): string {
  return `${pad(index)}-${pad(term)}${SUFFIX}`;
}

function encodeHeader(s: Snapshot): Uint8Array {
  const m = s.metadata;
  const header = new Uint8Array(MAGIC.length + 4 + 16 + confStateSize(m.confState) + 8);
  const view = new DataView(header.buffer);
  header.set(MAGIC, 0);
  let at = MAGIC.length;
  view.setUint32(at, FORMAT_VERSION);
  at += 4;
  writeU64(view, at, m.index);
  writeU64(view, at + 8, m.term);
  at = writeConfState(view, at + 16, m.confState);
  writeU64(view, at, s.data.length);
  return header;
}

/** Decodes and verifies a whole snapshot file. Throws DecodeError describing the damage. */
export function decodeSnapshotFile(bytes: Uint8Array): Snapshot {
  const r = new ByteReader(bytes);
  const magic = r.bytesView(MAGIC.length, 'magic');
  if (!magic.every((b, i) => b === MAGIC[i]))
    throw new DecodeError('bad magic: not a snapshot file');
  const version = r.u32('version');
  if (version !== FORMAT_VERSION) throw new DecodeError(`unsupported format version ${version}`);
  const index = toIndex(r.u64('index'));
  const term = toTerm(r.u64('term'));
  const confState = readConfState(r);
  const length = r.u64('data length');
  const expected = r.offset + length + DIGEST_BYTES;
  if (bytes.length !== expected) {
    throw new DecodeError(
      `${bytes.length < expected ? 'truncated' : 'trailing bytes'}: file has ${bytes.length} bytes, header says ${expected}`,
    );
  }
  const bodyEnd = r.offset + length;
  const digest = createHash('sha256').update(bytes.subarray(0, bodyEnd)).digest();
  if (!digest.equals(bytes.subarray(bodyEnd))) throw new DecodeError('checksum mismatch');
  return { metadata: { index, term, confState }, data: bytes.subarray(r.offset, bodyEnd) };
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await openFile(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class SnapshotStore {
  private queue: Promise<void> = Promise.resolve();
  private tempSeq = 0;

  private constructor(
    readonly dir: string,
    private readonly keep: number,
    private readonly logger: Logger,
    private readonly observer: SnapshotStoreObserver | undefined,
  ) {}

  /** Opens (creating) the directory and removes temporary files left by an interrupted save. */
  static async open(dir: string, options: SnapshotStoreOptions): Promise<SnapshotStore> {
    const keep = options.keep ?? 3;
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be >= 1, got ${keep}`);
    const logger = options.logger.child({ component: 'snapshot-store' });
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (name.includes(TEMP_MARK)) {
        await unlink(join(dir, name));
        logger.info({ file: name }, 'removed an unfinished snapshot file');
      }
    }
    return new SnapshotStore(dir, keep, logger, options.observer);
  }

  /**
   * Writes `snapshot` durably (see the header comment), then deletes all but the newest
   * `keep` files. Saves are serialized. A snapshot with the index and term of an existing file
   * replaces it.
   */
  save(snapshot: Snapshot): Promise<void> {
    const run = this.queue.then(() => this.doSave(snapshot));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The snapshot files, oldest first (names only; contents are not verified). */
  async list(): Promise<SnapshotFileInfo[]> {
    const files: SnapshotFileInfo[] = [];
    for (const name of await readdir(this.dir)) {
      const match = NAME_PATTERN.exec(name);
      if (match === null) continue;
      files.push({ file: name, index: Number(match[1]), term: Number(match[2]) });
    }
    files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    return files;
  }

  /**
   * The newest snapshot that verifies, or undefined when there is none. Each damaged or
   * truncated file passed over is logged as 'refusing corrupt snapshot' and left in place for
   * an operator to inspect.
   */
  async loadLatest(): Promise<Snapshot | undefined> {
    const files = await this.list();
    for (let i = files.length - 1; i >= 0; i--) {
      const info = files[i]!;
      try {
        const bytes = await readFile(join(this.dir, info.file));
        const snapshot = decodeSnapshotFile(bytes);
        const m = snapshot.metadata;
        if (m.index !== info.index || m.term !== info.term) {
          throw new DecodeError(`header says index ${m.index} term ${m.term}, unlike its name`);
        }
        return snapshot;
      } catch (err) {
        this.logger.warn({ file: info.file, err }, 'refusing corrupt snapshot');
      }
    }
    return undefined;
  }

  private async doSave(snapshot: Snapshot): Promise<void> {
    const { index, term } = snapshot.metadata;
    const name = snapshotFileName(index, term);
    const started = performance.now();
    const temp = join(this.dir, `${name}${TEMP_MARK}${process.pid}-${this.tempSeq++}`);
    const header = encodeHeader(snapshot);
    const digest = createHash('sha256').update(header).update(snapshot.data).digest();
    const fh = await openFile(temp, 'wx');
    try {
      await writeAll(fh, header);
      await writeAll(fh, snapshot.data);
      await writeAll(fh, digest);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(temp, join(this.dir, name));
    await fsyncDir(this.dir);
    this.observer?.saved(performance.now() - started, snapshot.data.length);
    this.logger.info({ index, term, bytes: snapshot.data.length }, 'saved snapshot');
    await this.prune();
  }

  private async prune(): Promise<void> {
    const files = await this.list();
    for (const info of files.slice(0, Math.max(0, files.length - this.keep))) {
      try {
        await unlink(join(this.dir, info.file));
        this.logger.info({ file: info.file }, 'deleted old snapshot');
      } catch (err) {
        // The new snapshot is durable; a leftover old file only costs disk space.
        this.logger.warn({ file: info.file, err }, 'cannot delete old snapshot');
      }
    }
  }
}
