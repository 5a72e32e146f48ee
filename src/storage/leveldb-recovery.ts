/**
 * What LevelDB's own recovery threw away when it opened the log directory, and the record that
 * keeps a member with such a directory from starting again.
 *
 * Why this exists: LevelDB replays its write-ahead file (`NNNNNN.log`) at open. classic-level
 * opens with paranoid checks off and offers no switch, so a record that fails its checksum (or
 * any other damage the log reader reports) is skipped, not refused: the open succeeds with
 * those writes missing, and LevelDB then deletes the replayed file. Measured here: 64 bytes
 * overwritten in the middle of a fresh member's write-ahead file made it open as an empty
 * directory, and the member bootstrapped itself as a brand-new one, with its term, vote and
 * every entry it had acknowledged gone. That is the data loss Raft's safety argument excludes.
 *
 * The only trace LevelDB leaves is in its info log (`LOG`, rotated to `LOG.old` at every open,
 * so it holds this open's lines only): one line per dropped stretch, "<file>: dropping N bytes;
 * <status>". A torn record at the very end of the file (a crash in the middle of a write that
 * was never acknowledged) is deliberately not reported there by LevelDB, and is not one of
 * these lines, so a member that merely crashed still restarts.
 *
 * Because the damaged file is gone after that first open, the verdict is written down
 * (`REDRAFT-DAMAGED` in the directory) and every later open refuses too; otherwise the second
 * start would find an intact-looking, emptier log. An operator replaces the member: remove
 * its data directory and add it again, and the cluster sends it everything.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** LevelDB's info log, in the database directory. */
const INFO_LOG = 'LOG';
/** Written once damage is found; its presence alone refuses the directory. */
export const DAMAGE_RECORD = 'REDRAFT-DAMAGED';
/** The info log right after an open is a few lines; never read a huge one whole. */
const INFO_LOG_READ_LIMIT = 1024 * 1024;

/**
 * LevelDB's reports of what its recovery dropped during the open that just completed, each
 * without the timestamp and thread id it is logged with; empty when nothing was dropped (or
 * there is no info log).
 */
export async function droppedAtOpen(dir: string): Promise<string[]> {
  let text: string;
  try {
    const handle = await open(join(dir, INFO_LOG), 'r');
    try {
      const buf = Buffer.alloc(INFO_LOG_READ_LIMIT);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      text = buf.toString('utf8', 0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const dropped: string[] = [];
  for (const line of text.split('\n')) {
    // "2026/11/22-21:45:08.411428 7efe047bc6c0 (ignoring error) <file>: dropping 596 bytes; ..."
    if (!/: dropping \d+ bytes; /.test(line)) continue;
    dropped.push(line.replace(/^\S+ \S+ (\(ignoring error\) )?/, ''));
  }
  return dropped;
}

/** The damage recorded by an earlier open, or undefined when there is none. */
export async function recordedDamage(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, DAMAGE_RECORD), 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes (and syncs) the damage record, so that every later open refuses the directory. */
export async function recordDamage(dir: string, message: string): Promise<void> {
  const handle = await open(join(dir, DAMAGE_RECORD), 'w');
  try {
    await handle.writeFile(`${message}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
