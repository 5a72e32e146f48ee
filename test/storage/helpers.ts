import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { EntryType, index, term, type Entry } from '../../src/raft/index.js';

/** A fresh directory under the OS temp dir, and a function that removes it. */
export async function tempDir(
  prefix: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `redraft-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A pino logger whose lines (warn and above by default) are collected as parsed objects. */
export function captureLogger(level = 'warn'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  // A plain object destination: pino calls write() synchronously, once per line.
  const destination = {
    write(msg: string): void {
      lines.push(JSON.parse(msg) as LogLine);
    },
  };
  return { logger: pino({ level }, destination), lines };
}

export const silent: Logger = pino({ level: 'silent' });

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function entry(i: number, t: number, data: Uint8Array | string = `e${i}`): Entry {
  return {
    index: index(i),
    term: term(t),
    type: EntryType.Normal,
    data: typeof data === 'string' ? bytes(data) : data,
  };
}

/** Entries lo..hi (inclusive) of term t. */
export function entries(lo: number, hi: number, t: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, t));
  return out;
}

/** A comparable view of an entry (Uint8Array subclasses differ between Buffer and plain). */
export function plain(e: Entry): { index: number; term: number; type: number; data: number[] } {
  return { index: e.index, term: e.term, type: e.type, data: Array.from(e.data) };
}

/** LevelDB's newest write-ahead file (`NNNNNN.log`) in the database directory `dir`. */
export function newestWriteAheadFile(dir: string): string {
  const logs = readdirSync(dir)
    .filter((n) => /^\d+\.log$/.test(n))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  const newest = logs[logs.length - 1];
  if (newest === undefined) throw new Error(`no write-ahead file in ${dir}`);
  return join(dir, newest);
}

/**
 * The start of a write-ahead record that never finished: a header (checksum, length 100, type
 * FULL) and only four of its bytes. Appended to the newest file, it is what a crash in the
 * middle of a (never acknowledged) write leaves; LevelDB drops it without reporting it.
 */
export const TORN_RECORD = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 100, 0, 1, 1, 2, 3, 4, 5]);
