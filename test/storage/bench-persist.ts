/**
 * Persist throughput, run by hand (not part of the suite):
 *   npm run build && node dist/test/storage/bench-persist.js [batches] [entriesPerBatch] [bytes]
 * One persist per simulated Ready, awaited before the next, as the driver does.
 */
import { performance } from 'node:perf_hooks';
import { EntryType, index, term, type Entry } from '../../src/raft/index.js';
import { LevelLogStorage } from '../../src/storage/index.js';
import { silent, tempDir } from './helpers.js';

const batches = Number(process.argv[2] ?? 1000);
const perBatch = Number(process.argv[3] ?? 64);
const size = Number(process.argv[4] ?? 64);

async function run(sync: boolean): Promise<void> {
  const { dir, cleanup } = await tempDir('bench');
  try {
    let storage = await LevelLogStorage.open(dir, { logger: silent });
    const payload = new Uint8Array(size).fill(0x61);
    let next = 1;
    const started = performance.now();
    for (let b = 0; b < batches; b++) {
      const ents: Entry[] = [];
      for (let k = 0; k < perBatch; k++) {
        ents.push({ index: index(next++), term: term(1), type: EntryType.Normal, data: payload });
      }
      await storage.persist(
        { entries: ents, hardState: { term: term(1), vote: 1 as never, commit: index(next - 1) } },
        sync,
      );
    }
    const ms = performance.now() - started;
    const total = batches * perBatch;
    console.log(
      `sync=${sync}: ${batches} batches x ${perBatch} entries x ${size} B in ${ms.toFixed(0)} ms ` +
        `(${(ms / batches).toFixed(3)} ms/batch, ${Math.round(total / (ms / 1000))} entries/s)`,
    );
    await storage.close();
    const reopenStart = performance.now();
    storage = await LevelLogStorage.open(dir, { logger: silent });
    console.log(
      `  reopen loading ${storage.stats().entries} entries: ${(performance.now() - reopenStart).toFixed(0)} ms`,
    );
    await storage.close();
  } finally {
    await cleanup();
  }
}

await run(true);
await run(false);
